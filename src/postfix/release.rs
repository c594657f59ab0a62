//! Built-in defaults per Postfix release and build, for hosts without
//! Postfix (or when `postconf` fails) and for `--postfix-version`.
//!
//! The differences between releases that matter to ccert (docs/postfix-releases.md):
//!
//! * 3.5 and older: `smtpd_tls_fingerprint_digest` is `md5` whatever
//!   `compatibility_level` says; the level switches compare plainly (`<`),
//!   the `<level` operator is 3.6's.
//! * 3.6–3.8: the digest follows the level (md5 below 3.6, sha256 from 3.6).
//! * 3.9+: raw public keys (`smtpd_tls_enable_rpk`, default `no`).
//! * 3.11: the Berkeley DB migration (`non_bdb_migration_level`,
//!   `non_bdb_custom_mapping`, `default_cache_db_type`);
//!   `tls_legacy_public_key_fingerprints` is gone (no effect since 3.9).
//! * 3.12 (snapshot 3.12-20260821): postscreen's own TLS settings
//!   (`postscreen_tls_*`, each defaulting to its `smtpd_tls_*`), per-peer
//!   TLS log levels (`smtpd_tls_loglevel_maps`), `tls_trust_server_ccerts`,
//!   session tickets bound to their master.cf service.
//! * `default_database_type` is a build setting: upstream `hash`; Debian's
//!   3.11 package `cdb`; builds without Berkeley DB (RHEL 10) `lmdb`, and
//!   they cannot open `hash:` or `btree:` at all.

use std::fmt;
use std::str::FromStr;

use super::defaults::DEFAULTS;

/// A Postfix release, `major.minor` (the patch level does not change defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    /// Major version (3).
    pub major: u32,
    /// Minor version (11).
    pub minor: u32,
}

impl Release {
    /// The release ccert assumes when neither postconf nor `--postfix-version` says:
    /// Debian 12's 3.7, the release ccert was first proven against.
    pub const ASSUMED: Release = Release { major: 3, minor: 7 };

    /// One release of each span whose built-in defaults differ (3.5;
    /// 3.6–3.8; 3.9–3.10; 3.11; 3.12), for telling whether an answer depends on
    /// the release ([`super::PostfixConfig::assumed`]).
    pub const DISTINCT: [Release; 5] = [
        Release::new(3, 5),
        Release::new(3, 6),
        Release::new(3, 9),
        Release::new(3, 11),
        Release::new(3, 12),
    ];

    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// Whether this release has raw public keys (3.9+).
    pub fn has_rpk(self) -> bool {
        self >= Self::new(3, 9)
    }

    /// Whether this release has the Berkeley DB migration parameters (3.11+).
    pub fn has_non_bdb(self) -> bool {
        self >= Self::new(3, 11)
    }

    /// Whether postscreen has its own TLS settings (`postscreen_tls_*`,
    /// 3.12+); before, postscreen's STARTTLS used tlsproxy's (`tlsproxy_tls_*`).
    pub fn has_postscreen_tls(self) -> bool {
        self >= Self::new(3, 12)
    }

    /// Whether Berkeley DB can be a dynamic-map plug-in (3.12+: dynamicmaps.cf
    /// gains `hash` and `btree` lines, HISTORY 20260316).
    pub fn bdb_plugin(self) -> bool {
        self >= Self::new(3, 12)
    }

    /// Whether `smtpd_tls_loglevel_maps` (per-peer TLS log level) exists (3.12+).
    pub fn has_loglevel_maps(self) -> bool {
        self >= Self::new(3, 12)
    }

    /// Whether `tls_trust_server_ccerts` exists (3.12+).
    pub fn has_trust_server_ccerts(self) -> bool {
        self >= Self::new(3, 12)
    }

    /// Whether smtpd binds a TLS session ticket to the master.cf service
    /// that issued it (3.12+, HISTORY 20260805); before, a ticket issued by
    /// one smtpd service is accepted by every other of the same master.cf.
    pub fn binds_tickets_to_service(self) -> bool {
        self >= Self::new(3, 12)
    }

    /// Whether `tls_legacy_public_key_fingerprints` is still a parameter
    /// (through 3.10; without effect from 3.9, removed in 3.11.0).
    pub fn has_legacy_pubkey_fingerprints(self) -> bool {
        self < Self::new(3, 11)
    }

    /// Whether the fingerprint digest follows compatibility_level (3.6+).
    pub fn digest_follows_level(self) -> bool {
        self >= Self::new(3, 6)
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A version that is not `major.minor[.patch]`, or older than ccert supports.
#[derive(Debug, thiserror::Error)]
#[error("Postfix version {0:?}: give MAJOR.MINOR, 3.5 or later (e.g. 3.11)")]
pub struct BadRelease(pub String);

impl FromStr for Release {
    type Err = BadRelease;

    /// Parses `3.11`, `3.11.7` or a `mail_version` such as `3.12-20250101`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadRelease(s.to_string());
        let mut parts = s.trim().split(['.', '-']);
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let release = Self::new(major, minor);
        if release < Self::new(3, 5) {
            return Err(bad());
        }
        Ok(release)
    }
}

/// How the Postfix package was built, as far as table types go.
///
/// Also the values of `--postfix-build` (clap's [`ValueEnum`](clap::ValueEnum),
/// named as [`Self::name`]; the variants' doc comments are their help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Flavour {
    /// Upstream defaults (default_database_type = hash)
    #[value(name = "upstream")]
    Upstream,
    /// Debian/Ubuntu (3.11: default_database_type = cdb, hash/btree deprecated)
    #[default]
    #[value(name = "debian")]
    Debian,
    /// Built without Berkeley DB, as RHEL 10 (lmdb; no hash:, btree:)
    ///
    /// Also SLES: `default_database_type = lmdb`, and Postfix cannot open
    /// `hash:` or `btree:` tables.
    #[value(name = "no-bdb")]
    NoBdb,
}

impl Flavour {
    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Debian => "debian",
            Self::NoBdb => "no-bdb",
        }
    }

    /// The built-in `default_database_type` of this build of `release`.
    pub fn default_database_type(self, release: Release) -> &'static str {
        match self {
            Self::Upstream => "hash",
            Self::Debian if release.has_non_bdb() => "cdb",
            Self::Debian => "hash",
            Self::NoBdb => "lmdb",
        }
    }

    /// The built-in `default_cache_db_type` (3.11+): btree where Berkeley DB
    /// is the default, lmdb otherwise.
    pub fn default_cache_db_type(self, release: Release) -> &'static str {
        match self.default_database_type(release) {
            "hash" => "btree",
            _ => "lmdb",
        }
    }

    /// Whether this build reads Berkeley DB (`hash:`, `btree:`).
    pub fn has_bdb(self) -> bool {
        self != Self::NoBdb
    }

    /// Whether Postfix warns that hash/btree are deprecated (Debian's 3.11).
    pub fn bdb_deprecated(self, release: Release) -> bool {
        self == Self::Debian && release.has_non_bdb()
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The table types a build can open (`postconf -m` of a typical package with
/// its table plug-ins installed), limited to the file and database types
/// ccert deals with.
pub fn table_types(flavour: Flavour) -> Vec<String> {
    let mut types = vec![
        "cdb",
        "cidr",
        "environ",
        "fail",
        "inline",
        "internal",
        "lmdb",
        "memcache",
        "pcre",
        "pgsql",
        "pipemap",
        "proxy",
        "randmap",
        "regexp",
        "socketmap",
        "sqlite",
        "static",
        "tcp",
        "texthash",
        "unionmap",
        "unix",
    ];
    if flavour.has_bdb() {
        types.extend(["btree", "hash"]);
    }
    types.sort_unstable();
    types.into_iter().map(str::to_string).collect()
}

/// The built-in default texts (unexpanded, as `postconf -d` prints them) of
/// the parameters ccert reads, for `release` built as `flavour`.
pub fn defaults(release: Release, flavour: Flavour) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = DEFAULTS
        .iter()
        .map(|(name, text)| (*name, (*text).to_string()))
        .collect();
    let mut set = |name: &'static str, value: String| match out.iter_mut().find(|(n, _)| *n == name)
    {
        Some(slot) => slot.1 = value,
        None => out.push((name, value)),
    };
    if release != Release::ASSUMED {
        // DEFAULTS holds the full version of the assumed release (3.7.11).
        set("mail_version", release.to_string());
    }
    set(
        "default_database_type",
        flavour.default_database_type(release).to_string(),
    );
    if !release.digest_follows_level() {
        // 3.5: a fixed default, and the switches use the plain `<` operator.
        set("smtpd_tls_fingerprint_digest", "md5".to_string());
        for (name, level, on_old, on_new) in [
            (
                "smtpd_relay_restrictions",
                "1",
                "",
                "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
            ),
            ("relay_domains", "2", "$mydestination", ""),
            ("mynetworks_style", "2", "subnet", "host"),
            ("smtputf8_enable", "1", "no", "yes"),
        ] {
            set(
                name,
                format!(
                    "${{{{$compatibility_level}} < {{{level}}} ? {{{on_old}}} : {{{on_new}}}}}"
                ),
            );
        }
    }
    if release.has_rpk() {
        set("smtpd_tls_enable_rpk", "no".to_string());
    }
    if release.has_legacy_pubkey_fingerprints() {
        set("tls_legacy_public_key_fingerprints", "no".to_string());
    }
    if release.has_postscreen_tls() {
        // postconf -d of 3.12-20260821: each is its smtpd_tls_* counterpart.
        for (name, default) in POSTSCREEN_TLS {
            set(name, (*default).to_string());
        }
        set(
            "postscreen_tls_loglevel_maps",
            "$smtpd_tls_loglevel_maps".to_string(),
        );
        set("smtpd_tls_loglevel_maps", String::new());
        set("tls_trust_server_ccerts", "no".to_string());
    }
    if release.has_non_bdb() {
        set("non_bdb_migration_level", "disable".to_string());
        set("non_bdb_custom_mapping", String::new());
        set(
            "default_cache_db_type",
            flavour.default_cache_db_type(release).to_string(),
        );
    }
    out
}

/// postscreen's own TLS settings that ccert reads, with their 3.12
/// defaults (`postconf -d` of 3.12-20260821: each is its `smtpd_tls_*`).
const POSTSCREEN_TLS: &[(&str, &str)] = &[
    (
        "postscreen_tls_fingerprint_digest",
        "$smtpd_tls_fingerprint_digest",
    ),
    ("postscreen_tls_ask_ccert", "$smtpd_tls_ask_ccert"),
    ("postscreen_tls_req_ccert", "$smtpd_tls_req_ccert"),
    ("postscreen_tls_loglevel", "$smtpd_tls_loglevel"),
    ("postscreen_tls_enable_rpk", "$smtpd_tls_enable_rpk"),
    ("postscreen_tls_CAfile", "$smtpd_tls_CAfile"),
    ("postscreen_tls_chain_files", "$smtpd_tls_chain_files"),
    ("postscreen_tls_cert_file", "$smtpd_tls_cert_file"),
];

/// Whether `release` knows the parameter `name` (for the ones ccert cares about
/// that came or went with a release: raw public keys, the Berkeley DB
/// migration, 3.12's TLS settings, the legacy public-key fingerprints).
pub fn knows(release: Release, name: &str) -> bool {
    match name {
        "tls_legacy_public_key_fingerprints" => release.has_legacy_pubkey_fingerprints(),
        "smtpd_tls_loglevel_maps" | "smtp_tls_loglevel_maps" | "postscreen_tls_loglevel_maps" => {
            release.has_loglevel_maps()
        }
        "tls_trust_server_ccerts" => release.has_trust_server_ccerts(),
        n if n.starts_with("postscreen_tls_") && n != "postscreen_tls_security_level" => {
            release.has_postscreen_tls()
        }
        "smtpd_tls_enable_rpk" | "smtp_tls_enable_rpk" => release.has_rpk(),
        "non_bdb_migration_level"
        | "non_bdb_custom_mapping"
        | "non_bdb_migration_log_redirect"
        | "default_cache_db_type" => release.has_non_bdb(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!("3.11".parse::<Release>().unwrap(), Release::new(3, 11));
        assert_eq!("3.7.11".parse::<Release>().unwrap(), Release::new(3, 7));
        assert_eq!(
            "3.12-20250101".parse::<Release>().unwrap(),
            Release::new(3, 12)
        );
        assert!("3".parse::<Release>().is_err());
        assert!("2.11".parse::<Release>().is_err());
        assert!("x.y".parse::<Release>().is_err());
    }

    #[test]
    fn per_release_differences() {
        let get = |r: Release, f: Flavour, n: &str| {
            defaults(r, f)
                .into_iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v)
        };
        let r35 = Release::new(3, 5);
        let r311 = Release::new(3, 11);
        assert_eq!(
            get(r35, Flavour::Debian, "smtpd_tls_fingerprint_digest").unwrap(),
            "md5"
        );
        assert_eq!(get(r35, Flavour::Debian, "smtpd_tls_enable_rpk"), None);
        assert_eq!(
            get(Release::new(3, 9), Flavour::Debian, "smtpd_tls_enable_rpk").unwrap(),
            "no"
        );
        assert_eq!(
            get(r311, Flavour::Debian, "default_database_type").unwrap(),
            "cdb"
        );
        assert_eq!(
            get(r311, Flavour::Upstream, "default_database_type").unwrap(),
            "hash"
        );
        assert_eq!(
            get(r311, Flavour::NoBdb, "default_cache_db_type").unwrap(),
            "lmdb"
        );
        assert!(!table_types(Flavour::NoBdb).contains(&"hash".to_string()));
        assert!(knows(r311, "non_bdb_migration_level"));
        assert!(!knows(Release::new(3, 10), "non_bdb_migration_level"));
    }
}

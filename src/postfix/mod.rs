//! Reading a Postfix configuration (main.cf, master.cf) the way Postfix does.
//!
//! * [`main_cf`]: `name = value` lines, continuation and comment rules.
//! * [`master_cf`]: service entries and their `-o name=value` overrides.
//! * [`expand`]: `$name`, `${name?…}`, `${{a} <level {b} ? {…} : {…}}` …
//!   evaluated as `postconf -x` does.
//! * [`defaults`]: Postfix 3.7's built-in defaults of the parameters ccert reads.
//! * [`release`]: the built-in defaults of other releases (3.5–3.12) and builds.
//! * [`postconf`]: asking the installed Postfix (`postconf -d/-x/-P/-m`).
//! * [`table_ref`]: a `type:name` table reference, read once as `dict_open` reads it,
//!   and the table Postfix opens for it.
//! * [`redirect`]: the table Postfix really opens (3.11's Berkeley DB migration).
//! * [`restrictions`]: smtpd restriction lists and where `permit_tls_clientcerts` belongs.
//!
//! The files are always read by ccert itself (for the file and line of a
//! finding, and for hosts without Postfix, such as a copy of a server's
//! /etc/postfix). The values come from the installed Postfix when there is
//! one ([`PostfixConfig::open`]), else from built-in defaults per release.

pub mod defaults;
pub mod expand;
pub mod main_cf;
pub mod master_cf;
pub mod postconf;
pub mod redirect;
pub mod release;
pub mod restrictions;
pub mod rewrite;
pub mod table_ref;
mod tokens;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cert::DigestAlgorithm;
pub use release::{Flavour, Release};
pub use table_ref::{OpenTableError, OpenedTable, TableRef, TableType};

pub use expand::ExpandError;
pub use main_cf::{LineWarning, MainCf, Param};
pub use master_cf::{MasterCf, Override, Service};

/// Errors reading a Postfix configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A configuration file exists but cannot be read.
    #[error("{path}: cannot read")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line Postfix itself refuses (postconf stops with a fatal error).
    #[error("{path}:{line}: {message} (Postfix refuses this file too: correct that line)")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value whose `$` expressions Postfix cannot evaluate.
    #[error("{path}{}: {name}: Postfix cannot expand the value; correct it \
             (`postconf -x {name}` reports the same)",
        line.map(|l| format!(":{l}")).unwrap_or_default())]
    Expand {
        /// The file the value comes from.
        path: PathBuf,
        /// Its line, when it comes from a file (not a built-in default).
        line: Option<usize>,
        /// The parameter.
        name: String,
        /// The expansion error.
        source: ExpandError,
    },
    /// A fingerprint digest ccert (and Postfix's OpenSSL, as far as ccert knows) does not have.
    #[error("{path}{}: {name} = {value}: unknown digest; Postfix would disable TLS for it \
             (use md5, sha1, sha224, sha256, sha384 or sha512)",
        line.map(|l| format!(":{l}")).unwrap_or_default())]
    UnknownDigest {
        /// main.cf or master.cf.
        path: PathBuf,
        /// The line that sets it, when a file does.
        line: Option<usize>,
        /// The parameter.
        name: String,
        /// The value.
        value: String,
    },
}

/// A table a Postfix setting names: `relay_clientcerts` or a `check_ccert_access`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredTable {
    /// The table as written (`proxy:` peeled; see [`TableRef`]).
    pub table: TableRef,
    /// Where it is named (`relay_clientcerts`, `submission/inet: smtpd_relay_restrictions`).
    pub setting: String,
}

/// Why a Postfix cannot open Berkeley DB tables (`hash:`, `btree:`), and
/// whether a package brings them back (docs/postfix-releases.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BdbAbsence {
    /// Built without Berkeley DB (`-DNO_DB`): from 3.11 `postconf -m`
    /// still lists hash and btree, as stand-ins that fail every lookup.
    Surrogate,
    /// 3.12+ loads Berkeley DB as a dynamic-map plug-in (HISTORY
    /// 20260316), and neither dynamicmaps.cf nor dynamicmaps.cf.d names it:
    /// the distribution's plug-in package is not installed.
    PluginMissing {
        /// The dynamicmaps.cf that was read.
        dynamicmaps: PathBuf,
    },
    /// Built without Berkeley DB and without a plug-in for it (before 3.12
    /// Berkeley DB could not be a plug-in; without dynamicmaps.cf no
    /// plug-in is loaded at all).
    NotBuilt {
        /// The release, for the wording.
        release: Release,
    },
}

impl std::fmt::Display for BdbAbsence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Surrogate => f.write_str(
                "this Postfix is built without Berkeley DB (its hash and btree are stand-ins that fail \
                 every lookup); no package brings it back: move the tables off it with `ccert migrate --to lmdb`",
            ),
            Self::PluginMissing { dynamicmaps } => write!(
                f,
                "this Postfix loads Berkeley DB as a plug-in, and {} (with dynamicmaps.cf.d) names no hash: \
                 installing the distribution's Berkeley DB map plug-in package brings hash: and btree: back; \
                 or move the tables off it with `ccert migrate --to lmdb`",
                dynamicmaps.display()
            ),
            Self::NotBuilt { release } if !release.bdb_plugin() => write!(
                f,
                "this Postfix ({release}) is built without Berkeley DB, which before 3.12 cannot be added \
                 as a plug-in: no package brings hash: back; move the tables off it with `ccert migrate --to lmdb`"
            ),
            Self::NotBuilt { .. } => f.write_str(
                "this Postfix is built without Berkeley DB and loads no map plug-ins (no dynamicmaps.cf): \
                 no package brings hash: back; move the tables off it with `ccert migrate --to lmdb`",
            ),
        }
    }
}

/// Which Postfix to take the values from.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// `--postfix-version`: use the built-in defaults of this release, do not run postconf.
    pub release: Option<Release>,
    /// The build flavour for built-in defaults (default: Debian's).
    pub flavour: Option<Flavour>,
    /// Where to find postconf.
    pub lookup: postconf::Lookup,
}

/// Where the defaults and effective values come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The installed Postfix, through postconf.
    Postconf(Box<postconf::Facts>),
    /// ccert's built-in defaults of a release.
    BuiltIn {
        /// The release.
        release: Release,
        /// The build.
        flavour: Flavour,
        /// Why the built-in defaults are used (`--postfix-version 3.11`, `no postconf found`).
        why: String,
    },
}

impl Default for Source {
    fn default() -> Self {
        Self::BuiltIn {
            release: Release::ASSUMED,
            flavour: Flavour::Debian,
            why: "assumed".to_string(),
        }
    }
}

/// The effective configuration of one Postfix instance.
#[derive(Debug, Clone, Default)]
pub struct PostfixConfig {
    /// The configuration directory it was read from.
    pub config_dir: PathBuf,
    /// Whether `main.cf` exists there.
    pub present: bool,
    /// Whether `master.cf` exists there.
    pub master_present: bool,
    main: MainCf,
    master: MasterCf,
    /// Where values come from.
    source: Source,
    /// Built-in default texts (when `source` is built-in).
    builtin: HashMap<String, String>,
    /// Things to tell the user once (postconf failed …).
    pub notices: Vec<String>,
    /// Why the built-in defaults of an assumed release are used, when no
    /// postconf was found (see [`Self::assumed`]).
    assumed: Option<String>,
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match crate::fsutil::read_bounded(path, crate::fsutil::limits::CONFIG_FILE) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

impl PostfixConfig {
    /// Reads `<config_dir>/main.cf` (and master.cf) with the built-in defaults
    /// of the assumed release (3.7, Debian build); postconf is not run. A
    /// missing main.cf is not an error: the result reports `present == false`.
    pub fn load(config_dir: &Path) -> Result<Self, ConfigError> {
        let mut cfg = Self::read_files(config_dir)?;
        cfg.use_builtin(Release::ASSUMED, Flavour::Debian, "assumed".to_string());
        Ok(cfg)
    }

    /// Reads the configuration files and takes the values from the Postfix
    /// `choice` names: `--postfix-version`'s built-in defaults, else (when
    /// there is a main.cf) the installed postconf, else the built-in
    /// defaults of the assumed release (with a notice when a main.cf exists
    /// but postconf is missing or fails).
    pub fn open(config_dir: &Path, choice: &Choice) -> Result<Self, ConfigError> {
        let mut cfg = Self::read_files(config_dir)?;
        let flavour = choice.flavour.unwrap_or_default();
        if let Some(release) = choice.release {
            cfg.use_builtin(release, flavour, "--postfix-version".to_string());
            return Ok(cfg);
        }
        let assumed = |why: &str| {
            format!(
                "{why}; assuming Postfix {} ({} build), give --postfix-version",
                Release::ASSUMED,
                flavour
            )
        };
        if !cfg.present {
            // Nothing to ask postconf about: every value is a default, and
            // commands that run many times on plain files (compile -t,
            // query, dump) should not start postconf each time.
            cfg.use_builtin(
                Release::ASSUMED,
                flavour,
                format!("no main.cf in {}", config_dir.display()),
            );
            return Ok(cfg);
        }
        match choice.lookup.program() {
            Some(program) => match postconf::query(&program, config_dir) {
                Ok(facts) => cfg.source = Source::Postconf(Box::new(facts)),
                Err(e) => {
                    let why = format!("postconf failed ({})", crate::report::chain_line(&e));
                    cfg.notices
                        .push(format!("{}; using built-in defaults", assumed(&why)));
                    cfg.use_builtin(Release::ASSUMED, flavour, why);
                }
            },
            None => {
                let why = if choice.lookup == postconf::Lookup::Disabled {
                    "CCERT_POSTCONF=none".to_string()
                } else {
                    "no postconf found".to_string()
                };
                // Not said here: most answers are the same for every
                // release. A command says it where the assumption decides
                // an answer ([`Self::assumed`]); doctor names it in its first line.
                if choice.lookup != postconf::Lookup::Disabled {
                    cfg.assumed = Some(why.clone());
                }
                cfg.use_builtin(Release::ASSUMED, flavour, why);
            }
        }
        Ok(cfg)
    }

    fn use_builtin(&mut self, release: Release, flavour: Flavour, why: String) {
        self.builtin = release::defaults(release, flavour)
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        self.source = Source::BuiltIn {
            release,
            flavour,
            why,
        };
    }

    /// The notice for an answer that depends on the assumed release: `None`
    /// unless no postconf was found (postconf's own values, a named
    /// `--postfix-version` and `CCERT_POSTCONF=none` assume nothing), or
    /// when `answer` is the same under the built-in defaults of every
    /// release and build ccert knows (from main.cf's compatibility_level on). `what` names the answer
    /// (`smtpd_tls_fingerprint_digest = sha256`).
    pub fn assumed<T: PartialEq>(
        &self,
        what: &str,
        answer: impl Fn(&PostfixConfig) -> T,
    ) -> Option<String> {
        let why = self.assumed.as_deref()?;
        let Source::BuiltIn {
            release, flavour, ..
        } = &self.source
        else {
            return None;
        };
        let here = answer(self);
        // A main.cf with `compatibility_level = 3.6` is written for 3.6 or
        // later (the level names the release whose defaults it keeps): an
        // older release's answer is no alternative.
        let oldest = self
            .main
            .get("compatibility_level")
            .and_then(|p| p.value.trim().parse::<Release>().ok());
        let differs = Release::DISTINCT
            .into_iter()
            .filter(|r| {
                oldest.is_none_or(|o| {
                    // The release of the span the level falls in counts.
                    Release::DISTINCT
                        .iter()
                        .rev()
                        .find(|d| **d <= o)
                        .is_none_or(|d| r >= d)
                })
            })
            .any(|r| {
                [Flavour::Upstream, Flavour::Debian, Flavour::NoBdb]
                    .into_iter()
                    .any(|f| {
                        let mut other = self.clone();
                        other.use_builtin(r, f, String::new());
                        answer(&other) != here
                    })
            });
        differs.then(|| {
            format!(
                "{why}: {what} is the built-in default of Postfix {release} ({flavour} build), \
                 and other releases differ; set it in main.cf or give --postfix-version"
            )
        })
    }

    /// Where the values come from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// postconf's answers, when the installed Postfix was asked.
    pub fn facts(&self) -> Option<&postconf::Facts> {
        match &self.source {
            Source::Postconf(f) => Some(f),
            Source::BuiltIn { .. } => None,
        }
    }

    /// The release whose rules apply (from `mail_version` when postconf answered).
    pub fn release(&self) -> Release {
        match &self.source {
            Source::Postconf(f) => f.version.parse().unwrap_or(Release::ASSUMED),
            Source::BuiltIn { release, .. } => *release,
        }
    }

    /// One line saying which Postfix the values are from, e.g.
    /// `Postfix 3.7.11 (postconf /usr/sbin/postconf)`.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Postconf(f) => format!(
                "Postfix {} (values from {} -c {})",
                f.version,
                f.program.display(),
                self.config_dir.display()
            ),
            Source::BuiltIn {
                release,
                flavour,
                why,
            } => format!(
                "Postfix {release} ({flavour} build), ccert's built-in defaults ({why}){}",
                if why == "--postfix-version" {
                    String::new()
                } else {
                    "; name another release with --postfix-version".to_string()
                }
            ),
        }
    }

    /// Whether this Postfix knows the parameter `name` (a parameter of a later
    /// release set in main.cf is ignored by Postfix, with a warning from postconf).
    pub fn knows(&self, name: &str) -> bool {
        match &self.source {
            Source::Postconf(f) => f.defaults.contains_key(name),
            Source::BuiltIn { release, .. } => release::knows(*release, name),
        }
    }

    /// The table types this Postfix can open (`postconf -m`, or the built-in list).
    pub fn table_types(&self) -> Vec<String> {
        match &self.source {
            Source::Postconf(f) => f.table_types.clone(),
            Source::BuiltIn { flavour, .. } => release::table_types(*flavour),
        }
    }

    /// Why this Postfix cannot open `hash:` tables, or `None` when it can.
    /// From 3.12 Berkeley DB may be a plug-in: a `dynamicmaps.cf` in
    /// `meta_directory` means plug-ins are loaded, so a package can add it.
    pub fn bdb_absence(&self) -> Option<BdbAbsence> {
        if self.supports_type("hash") {
            return None;
        }
        let release = self.release();
        // The built-in no-bdb build is a -DNO_DB one, which registers the
        // stand-ins from 3.11 (nbdb_util.c) as the recorded 3.12 build does.
        let builtin_no_db = matches!(self.source, Source::BuiltIn { .. }) && release.has_non_bdb();
        if builtin_no_db || self.facts().is_some_and(|f| f.bdb_surrogate) {
            return Some(BdbAbsence::Surrogate);
        }
        if release.bdb_plugin()
            && let Source::Postconf(_) = &self.source
        {
            let meta = self
                .get("meta_directory")
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| self.config_dir.display().to_string());
            let dynamicmaps = Path::new(&meta).join("dynamicmaps.cf");
            if dynamicmaps.is_file() {
                return Some(BdbAbsence::PluginMissing { dynamicmaps });
            }
        }
        Some(BdbAbsence::NotBuilt { release })
    }

    /// Whether this Postfix can open tables of type `name`.
    pub fn supports_type(&self, name: &str) -> bool {
        self.table_types().iter().any(|t| t == name)
    }

    /// Whether this Postfix's maker moved off Berkeley DB while still reading
    /// it (Debian's 3.11 warns that hash/btree are deprecated): a 3.11+ whose
    /// built-in default_database_type is not hash.
    pub fn bdb_deprecated(&self) -> bool {
        let built_in = match &self.source {
            Source::Postconf(f) => f.defaults.get("default_database_type").cloned(),
            Source::BuiltIn { .. } => self.builtin.get("default_database_type").cloned(),
        };
        self.release().has_non_bdb()
            && self.supports_type("hash")
            && built_in.is_some_and(|t| t.trim() != "hash")
    }

    fn read_files(config_dir: &Path) -> Result<Self, ConfigError> {
        let mut cfg = Self {
            config_dir: config_dir.to_path_buf(),
            ..Self::default()
        };
        let main_path = cfg.main_cf_path();
        if let Some(text) = read_optional(&main_path)? {
            cfg.present = true;
            cfg.main = MainCf::parse(&text).map_err(|e| ConfigError::Syntax {
                path: main_path.clone(),
                line: e.line,
                message: e.message,
            })?;
        }
        let master_path = cfg.master_cf_path();
        if let Some(text) = read_optional(&master_path)? {
            cfg.master_present = true;
            cfg.master = MasterCf::parse(&text).map_err(|e| ConfigError::Syntax {
                path: master_path.clone(),
                line: e.line,
                message: e.message,
            })?;
        }
        Ok(cfg)
    }

    /// `<config_dir>/main.cf`.
    pub fn main_cf_path(&self) -> PathBuf {
        self.config_dir.join("main.cf")
    }

    /// `<config_dir>/master.cf`.
    pub fn master_cf_path(&self) -> PathBuf {
        self.config_dir.join("master.cf")
    }

    /// The parsed main.cf (empty when there is none).
    pub fn main_cf(&self) -> &MainCf {
        &self.main
    }

    /// The master.cf services in file order (none when there is no master.cf).
    pub fn services(&self) -> &[Service] {
        &self.master.services
    }

    /// A service by `name/type` or, when unique, by name alone.
    pub fn service(&self, id: &str) -> Option<&Service> {
        let services = self.services();
        if let Some(s) = services.iter().find(|s| s.id() == id) {
            return Some(s);
        }
        let mut named = services.iter().filter(|s| s.name == id);
        match (named.next(), named.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    }

    /// What Postfix warns about in main.cf and master.cf, as `(file, warning)`.
    pub fn warnings(&self) -> Vec<(PathBuf, &LineWarning)> {
        let main = self.main_cf_path();
        let master = self.master_cf_path();
        self.main
            .warnings
            .iter()
            .map(|w| (main.clone(), w))
            .chain(self.master.warnings.iter().map(|w| (master.clone(), w)))
            .collect()
    }

    /// The 1-based main.cf line of the definition of `name` that counts.
    pub fn main_cf_line(&self, name: &str) -> Option<usize> {
        self.main.get(name).map(|p| p.line)
    }

    /// Whether main.cf sets `name`.
    pub fn is_set(&self, name: &str) -> bool {
        self.main.get(name).is_some()
    }

    /// The raw (unexpanded) value: main.cf's, else the built-in default, as
    /// `postconf -h NAME` prints it. `None` for a parameter ccert does not
    /// know that main.cf does not set.
    pub fn raw(&self, name: &str) -> Option<String> {
        if let Some(p) = self.main.get(name) {
            return Some(p.value.clone());
        }
        if name == "config_directory" {
            return Some(self.config_dir.display().to_string());
        }
        let default = match &self.source {
            Source::Postconf(f) => f.defaults.get(name),
            Source::BuiltIn { .. } => self.builtin.get(name),
        };
        if let Some(d) = default {
            return Some(d.clone());
        }
        defaults::computed(
            name,
            &self.config_dir,
            &|n| self.main.get(n).map(|p| p.value.clone()),
            &|t| self.expand(t).unwrap_or_default(),
        )
    }

    /// Expands `text` in the context of main.cf (and the built-in defaults).
    pub fn expand(&self, text: &str) -> Result<String, ExpandError> {
        expand::expand(text, &|n| self.raw(n))
    }

    /// The effective value of a parameter (expanded, built-in default when
    /// unset); the same words `postconf -xh NAME` prints (postconf also
    /// collapses runs of whitespace when printing; this keeps them, as the
    /// Postfix daemons see them). `None` for an unknown parameter, and for a
    /// value that cannot be expanded (see [`Self::try_get`]).
    pub fn get(&self, name: &str) -> Option<String> {
        self.try_get(name).ok().flatten()
    }

    /// Like [`Self::get`], with expansion errors.
    pub fn try_get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        if let Some(v) = self.facts().and_then(|f| f.effective.get(name)) {
            return Ok(Some(v.clone()));
        }
        let Some(raw) = self.raw(name) else {
            return Ok(None);
        };
        self.expand(&raw)
            .map(Some)
            .map_err(|source| ConfigError::Expand {
                path: self.main_cf_path(),
                line: self.main_cf_line(name),
                name: name.to_string(),
                source,
            })
    }

    /// The raw value a service sees: its last `-o` override, else main.cf's
    /// or the default. `service_name` and `process_name` are the service's.
    pub fn raw_for_service(&self, service: &Service, name: &str) -> Option<String> {
        if let Some(o) = service.override_for(name) {
            return Some(o.value.clone());
        }
        match name {
            "service_name" => Some(service.name.clone()),
            "process_name" => Some(service.command.clone()),
            _ => self.raw(name),
        }
    }

    /// The effective value of a parameter for a master.cf service: its `-o`
    /// override else main.cf's (else the default), expanded with the
    /// service's other overrides in effect, as the daemon and `postconf -Px` do.
    pub fn effective_for_service(&self, service: &Service, name: &str) -> Option<String> {
        self.try_effective_for_service(service, name).ok().flatten()
    }

    /// Like [`Self::effective_for_service`], with expansion errors.
    pub fn try_effective_for_service(
        &self,
        service: &Service,
        name: &str,
    ) -> Result<Option<String>, ConfigError> {
        if service.override_for(name).is_some()
            && let Some(v) = self
                .facts()
                .and_then(|f| f.services.get(&service.id()))
                .and_then(|s| s.get(name))
        {
            return Ok(Some(v.clone()));
        }
        let Some(raw) = self.raw_for_service(service, name) else {
            return Ok(None);
        };
        expand::expand(&raw, &|n| self.raw_for_service(service, n))
            .map(Some)
            .map_err(|source| match service.override_for(name) {
                Some(o) => ConfigError::Expand {
                    path: self.master_cf_path(),
                    line: Some(o.line),
                    name: name.to_string(),
                    source,
                },
                None => ConfigError::Expand {
                    path: self.main_cf_path(),
                    line: self.main_cf_line(name),
                    name: name.to_string(),
                    source,
                },
            })
    }

    /// The effective `smtpd_tls_fingerprint_digest` of main.cf, when a
    /// configuration is present; a digest ccert does not know is an error
    /// naming the line that sets it.
    pub fn fingerprint_digest(&self) -> Result<Option<DigestAlgorithm>, ConfigError> {
        if !self.present {
            return Ok(None);
        }
        let name = "smtpd_tls_fingerprint_digest";
        let Some(value) = self.try_get(name)? else {
            return Ok(None);
        };
        parse_digest(value.trim())
            .map(Some)
            .ok_or_else(|| ConfigError::UnknownDigest {
                path: self.main_cf_path(),
                line: self.main_cf_line(name),
                name: name.to_string(),
                value: value.trim().to_string(),
            })
    }

    /// The effective `smtpd_tls_fingerprint_digest` of a service; an unknown
    /// digest is an error naming the line (main.cf's or the `-o` override's).
    pub fn service_digest(&self, service: &Service) -> Result<DigestAlgorithm, ConfigError> {
        let name = "smtpd_tls_fingerprint_digest";
        let value = self
            .try_effective_for_service(service, name)?
            .unwrap_or_default();
        parse_digest(value.trim()).ok_or_else(|| match service.override_for(name) {
            Some(o) => ConfigError::UnknownDigest {
                path: self.master_cf_path(),
                line: Some(o.line),
                name: name.to_string(),
                value: value.trim().to_string(),
            },
            None => ConfigError::UnknownDigest {
                path: self.main_cf_path(),
                line: self.main_cf_line(name),
                name: name.to_string(),
                value: value.trim().to_string(),
            },
        })
    }

    /// Every table `relay_clientcerts` and `check_ccert_access` (in any
    /// restriction list, of main.cf or of an smtpd service) name, once each,
    /// `proxy:` looked through, in that order.
    pub fn configured_tables(&self) -> Vec<ConfiguredTable> {
        let mut out: Vec<ConfiguredTable> = Vec::new();
        let mut push = |item: &str, setting: String| {
            let mut table = TableRef::parse(item);
            table.proxy = false;
            if table.table_type.is_some() && !out.iter().any(|c| c.table == table) {
                out.push(ConfiguredTable { table, setting });
            }
        };
        for item in restrictions::items(&self.get("relay_clientcerts").unwrap_or_default()) {
            push(&item, "relay_clientcerts".to_string());
        }
        for list in restrictions::LISTS {
            for t in restrictions::ccert_access_tables(&self.get(list).unwrap_or_default()) {
                push(&t, list.to_string());
            }
            for s in self.services().iter().filter(|s| s.is_smtpd()) {
                let value = self.effective_for_service(s, list).unwrap_or_default();
                for t in restrictions::ccert_access_tables(&value) {
                    push(&t, format!("{}: {list}", s.id()));
                }
            }
        }
        out
    }

    /// Whether raw public keys are on (`smtpd_tls_enable_rpk = yes` in main.cf
    /// or on an smtpd service) in a Postfix that knows them (3.9+).
    pub fn rpk_enabled(&self) -> bool {
        let name = "smtpd_tls_enable_rpk";
        if !self.knows(name) {
            return false;
        }
        let yes = |v: Option<String>| v.is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"));
        yes(self.get(name))
            || self
                .services()
                .iter()
                .filter(|s| s.is_smtpd())
                .any(|s| yes(self.effective_for_service(s, name)))
    }
}

/// A digest name as Postfix's smtpd_tls_fingerprint_digest takes it (any case).
fn parse_digest(text: &str) -> Option<DigestAlgorithm> {
    text.to_ascii_lowercase().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(main: &str, master: &str) -> PostfixConfig {
        let mut cfg = PostfixConfig {
            config_dir: PathBuf::from("/etc/postfix"),
            present: true,
            master_present: true,
            main: MainCf::parse(main).unwrap(),
            master: MasterCf::parse(master).unwrap(),
            ..PostfixConfig::default()
        };
        cfg.use_builtin(Release::ASSUMED, Flavour::Debian, "test".into());
        cfg
    }

    #[test]
    fn digest_follows_compatibility_level() {
        assert_eq!(
            config("compatibility_level = 3.6\n", "")
                .fingerprint_digest()
                .unwrap(),
            Some(DigestAlgorithm::Sha256)
        );
        assert_eq!(
            config("compatibility_level = 2\n", "")
                .fingerprint_digest()
                .unwrap(),
            Some(DigestAlgorithm::Md5)
        );
        assert_eq!(
            config("", "").fingerprint_digest().unwrap(),
            Some(DigestAlgorithm::Md5)
        );
        assert_eq!(
            config(
                "compatibility_level = 2\nsmtpd_tls_fingerprint_digest = sha1\n",
                ""
            )
            .fingerprint_digest()
            .unwrap(),
            Some(DigestAlgorithm::Sha1)
        );
        assert_eq!(PostfixConfig::default().fingerprint_digest().unwrap(), None);
        let err = config("a = 1\nsmtpd_tls_fingerprint_digest = sha3-256\n", "")
            .fingerprint_digest()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "/etc/postfix/main.cf:2: smtpd_tls_fingerprint_digest = sha3-256: unknown digest"
            ),
            "{err}"
        );
    }

    #[test]
    fn defaults_and_unknowns() {
        let cfg = config("compatibility_level = 3.6\n", "");
        assert_eq!(
            cfg.get("smtpd_relay_restrictions").unwrap(),
            "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"
        );
        assert_eq!(cfg.get("relay_clientcerts").unwrap(), "");
        assert_eq!(cfg.get("no_such_parameter"), None);
        assert_eq!(cfg.get("config_directory").unwrap(), "/etc/postfix");
        let old = config("compatibility_level = 0\n", "");
        assert_eq!(old.get("smtpd_relay_restrictions").unwrap(), "");
        assert_eq!(cfg.main_cf_line("compatibility_level"), Some(1));
        assert_eq!(
            cfg.raw("smtpd_tls_key_file").unwrap(),
            "$smtpd_tls_cert_file"
        );
    }

    #[test]
    fn service_overrides_layer_over_main_cf() {
        let cfg = config(
            "smtpd_tls_cert_file = /main\nmua = permit_tls_clientcerts, reject\n",
            "s1 inet n - y - - smtpd -o smtpd_tls_cert_file=/svc\n  -o smtpd_relay_restrictions=$mua\n  -o syslog_name=$service_name/$process_name\n",
        );
        let s = cfg.service("s1").unwrap();
        assert_eq!(
            cfg.effective_for_service(s, "smtpd_tls_key_file").unwrap(),
            "/svc"
        );
        assert_eq!(cfg.get("smtpd_tls_key_file").unwrap(), "/main");
        assert_eq!(
            cfg.effective_for_service(s, "smtpd_relay_restrictions")
                .unwrap(),
            "permit_tls_clientcerts, reject"
        );
        assert_eq!(
            cfg.effective_for_service(s, "syslog_name").unwrap(),
            "s1/smtpd"
        );
        assert!(cfg.service("s1/inet").is_some());
        assert!(cfg.service("nope").is_none());
    }

    #[test]
    fn expansion_errors_name_the_line() {
        let cfg = config("a = 1\nsmtpd_banner = $ oops\n", "");
        let err = cfg.try_get("smtpd_banner").unwrap_err().to_string();
        assert!(err.contains("main.cf:2: smtpd_banner"), "{err}");
    }
}

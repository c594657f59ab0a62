//! Reading a Postfix configuration (main.cf, master.cf) the way Postfix does.
//!
//! * [`main_cf`]: `name = value` lines, continuation and comment rules.
//! * [`master_cf`]: service entries and their `-o name=value` overrides.
//! * [`expand`]: `$name`, `${name?…}`, `${{a} <level {b} ? {…} : {…}}` …
//!   evaluated as `postconf -x` does.
//! * [`defaults`]: Postfix 3.7's built-in defaults of the parameters ccert reads.
//! * [`restrictions`]: smtpd restriction lists and where `permit_tls_clientcerts` belongs.
//!
//! Nothing here runs Postfix: the configuration is read from the files, so
//! ccert works on a machine without Postfix (for example against a copy of
//! a server's /etc/postfix).

pub mod defaults;
pub mod expand;
pub mod main_cf;
pub mod master_cf;
pub mod restrictions;
mod tokens;

use std::path::{Path, PathBuf};

use crate::cert::DigestAlgorithm;

pub use expand::ExpandError;
pub use main_cf::{LineWarning, MainCf, Param};
pub use master_cf::{MasterCf, Override, Service};

/// Errors reading a Postfix configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A configuration file exists but cannot be read.
    #[error("{path}: {source}")]
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
    #[error("{path}{}: {name}: {source} (correct the value; `postconf -x {name}` reports the same)",
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
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

impl PostfixConfig {
    /// Reads `<config_dir>/main.cf` (and master.cf). A missing main.cf is not an
    /// error: the result reports `present == false` and Postfix's built-in defaults.
    pub fn load(config_dir: &Path) -> Result<Self, ConfigError> {
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
        if let Some(d) = defaults::default_text(name) {
            return Some(d.to_string());
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

    /// The effective `smtpd_tls_fingerprint_digest`, when a configuration is present.
    pub fn fingerprint_digest(&self) -> Option<DigestAlgorithm> {
        if !self.present {
            return None;
        }
        self.get("smtpd_tls_fingerprint_digest")
            .and_then(|d| d.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(main: &str, master: &str) -> PostfixConfig {
        PostfixConfig {
            config_dir: PathBuf::from("/etc/postfix"),
            present: true,
            master_present: true,
            main: MainCf::parse(main).unwrap(),
            master: MasterCf::parse(master).unwrap(),
        }
    }

    #[test]
    fn digest_follows_compatibility_level() {
        assert_eq!(
            config("compatibility_level = 3.6\n", "").fingerprint_digest(),
            Some(DigestAlgorithm::Sha256)
        );
        assert_eq!(
            config("compatibility_level = 2\n", "").fingerprint_digest(),
            Some(DigestAlgorithm::Md5)
        );
        assert_eq!(
            config("", "").fingerprint_digest(),
            Some(DigestAlgorithm::Md5)
        );
        assert_eq!(
            config(
                "compatibility_level = 2\nsmtpd_tls_fingerprint_digest = sha1\n",
                ""
            )
            .fingerprint_digest(),
            Some(DigestAlgorithm::Sha1)
        );
        assert_eq!(PostfixConfig::default().fingerprint_digest(), None);
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

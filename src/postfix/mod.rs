//! Reading a Postfix configuration (main.cf, master.cf) the way Postfix does.

use std::path::{Path, PathBuf};

use crate::cert::DigestAlgorithm;

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
}

/// The effective configuration of one Postfix instance.
#[derive(Debug, Clone, Default)]
pub struct PostfixConfig {
    /// The configuration directory it was read from.
    pub config_dir: PathBuf,
    /// Whether `main.cf` exists there.
    pub present: bool,
}

impl PostfixConfig {
    /// Reads `<config_dir>/main.cf` (and master.cf). A missing main.cf is not an
    /// error: the result reports `present == false` and Postfix's built-in defaults.
    pub fn load(config_dir: &Path) -> Result<Self, ConfigError> {
        Ok(Self {
            config_dir: config_dir.to_path_buf(),
            present: config_dir.join("main.cf").is_file(),
        })
    }

    /// The effective value of a parameter (expanded, built-in default when unset),
    /// as `postconf -xh NAME` prints it.
    pub fn get(&self, name: &str) -> Option<String> {
        let _ = name;
        None
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

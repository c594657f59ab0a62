//! What every command may need from the global options: the Postfix
//! configuration and the clientcerts source path.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::cert::DigestAlgorithm;
use crate::cli::Cli;
use crate::postfix::PostfixConfig;

/// Global options, with the Postfix configuration loaded on first use.
#[derive(Debug)]
pub struct Context {
    /// `-c`: the Postfix configuration directory.
    pub config_dir: PathBuf,
    /// `--map`: the clientcerts source override.
    pub map: Option<PathBuf>,
    /// `--quiet`: no progress bars.
    pub quiet: bool,
    config: std::cell::OnceCell<PostfixConfig>,
}

impl Context {
    /// Builds the context from the parsed command line.
    pub fn new(cli: &Cli) -> Self {
        Self {
            // Postfix's config_directory is always absolute; so are the paths
            // ccert derives from it (and prints for main.cf).
            config_dir: std::path::absolute(&cli.config_dir)
                .unwrap_or_else(|_| cli.config_dir.clone()),
            map: cli.map.clone(),
            quiet: cli.quiet,
            config: Default::default(),
        }
    }

    /// The Postfix configuration in `config_dir` (empty defaults when there is none).
    pub fn postfix(&self) -> anyhow::Result<&PostfixConfig> {
        if let Some(cfg) = self.config.get() {
            return Ok(cfg);
        }
        let cfg = PostfixConfig::load(&self.config_dir).with_context(|| {
            format!(
                "reading the Postfix configuration in {}",
                self.config_dir.display()
            )
        })?;
        Ok(self.config.get_or_init(|| cfg))
    }

    /// The digest to use when none was given: the effective
    /// smtpd_tls_fingerprint_digest when a configuration is present, else sha256.
    pub fn default_digest(&self) -> anyhow::Result<DigestAlgorithm> {
        Ok(self
            .postfix()?
            .fingerprint_digest()
            .unwrap_or(DigestAlgorithm::Sha256))
    }

    /// The clientcerts source file: `--map`, else the file relay_clientcerts
    /// names (for file-based types), else `<config-dir>/clientcerts`.
    pub fn source_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(map) = &self.map {
            return Ok(map.clone());
        }
        if let Some(value) = self.postfix()?.get("relay_clientcerts")
            && let Some(name) = crate::maps::tables_in_list(&value)
                .into_iter()
                .find(|n| n.map_type != Some(crate::maps::MapType::Sqlite))
        {
            return Ok(name.path);
        }
        Ok(self.config_dir.join("clientcerts"))
    }
}

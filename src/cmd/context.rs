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
            if crate::store::store_config(&map.to_string_lossy()).is_some() {
                anyhow::bail!(
                    "--map {}: a database list, not a source file; this command works on files",
                    map.display()
                );
            }
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

    /// The database list to edit instead of a source file: `--map pgsql:CF`
    /// (also `proxy:pgsql:CF`), else the first table of relay_clientcerts
    /// when that is a pgsql: one.
    ///
    /// A source file written by `ccert sync` stands for the list it was
    /// copied from: edits go to the database (a local edit would be lost at
    /// the next sync).
    pub fn store_map(&self) -> anyhow::Result<Option<String>> {
        if let Some(map) = &self.map {
            let text = map.to_string_lossy();
            if crate::store::store_config(&text).is_some() {
                return Ok(Some(text.into_owned()));
            }
        } else {
            let value = self.postfix()?.get("relay_clientcerts").unwrap_or_default();
            let first = value.split([',', ' ', '\t', '\n']).find(|s| !s.is_empty());
            if let Some(item) = first.filter(|item| crate::store::store_config(item).is_some()) {
                return Ok(Some(item.to_string()));
            }
        }
        let file = self.source_path()?;
        Ok(crate::store::synced_from(&file).inspect(|from| {
            tell!(
                "ccert: notice: {} is a copy kept by `ccert sync`; using {from}",
                file.display()
            )
        }))
    }
}

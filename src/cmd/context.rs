//! What every command may need from the global options: the effective
//! Postfix configuration (one place for all commands: the default digest,
//! the table type and path, raw public keys) and the clientcerts source path.

use std::cell::{OnceCell, RefCell};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::cert::DigestAlgorithm;
use crate::maps::{MapType, same_file, source_of};
use crate::postfix::{Choice, ConfiguredTable, PostfixConfig, TableRef, TableType, restrictions};

/// Global options, with the Postfix configuration loaded on first use.
#[derive(Debug)]
pub struct Context {
    /// `-c`: the Postfix configuration directory.
    pub config_dir: PathBuf,
    /// `--map`: the clientcerts source override.
    pub map: Option<PathBuf>,
    /// `--quiet`: no progress bars.
    pub quiet: bool,
    /// Which Postfix to take values from (`--postfix-version`, `CCERT_POSTCONF`).
    pub choice: Choice,
    /// Where a PKCS#12 file's password comes from (`--pkcs12-password-file`,
    /// `CCERT_PASSWORD`, a prompt).
    pub(crate) passwords: super::Passwords,
    config: OnceCell<PostfixConfig>,
    /// Notices already printed (each is said once per run).
    told: RefCell<HashSet<String>>,
}

/// A table as Postfix opens it: its type (after any redirect) and source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The type written and read.
    pub map_type: MapType,
    /// The source file it is built from.
    pub source: PathBuf,
}

impl Context {
    /// Builds the context from the global options.
    pub fn new(config_dir: &Path, map: Option<PathBuf>, choice: Choice) -> Self {
        Self {
            // Postfix's config_directory is always absolute; so are the paths
            // ccert derives from it (and prints for main.cf).
            config_dir: std::path::absolute(config_dir).unwrap_or_else(|_| config_dir.into()),
            map,
            choice,
            quiet: false,
            passwords: Default::default(),
            config: OnceCell::new(),
            told: RefCell::default(),
        }
    }

    /// Prints `notice` on standard error unless it was printed already.
    pub fn notice(&self, notice: &str) {
        if self.told.borrow_mut().insert(notice.to_string()) {
            tell!("ccert: notice: {notice}");
        }
    }

    /// The effective Postfix configuration in `config_dir` (see [`PostfixConfig::open`]).
    pub fn postfix(&self) -> anyhow::Result<&PostfixConfig> {
        if let Some(cfg) = self.config.get() {
            return Ok(cfg);
        }
        // Every ConfigError names its file (and line): no context to add.
        let cfg = PostfixConfig::open(&self.config_dir, &self.choice)?;
        for n in &cfg.notices {
            self.notice(n);
        }
        Ok(self.config.get_or_init(|| cfg))
    }

    /// The digest to use when none was given: the effective
    /// smtpd_tls_fingerprint_digest when a configuration is present, else
    /// sha256. A digest ccert does not know is an error naming its line.
    ///
    /// Without postconf, a digest that another release's defaults would
    /// change (main.cf does not set it) is said once, with the way out.
    pub fn default_digest(&self) -> anyhow::Result<DigestAlgorithm> {
        let cfg = self.postfix()?;
        let digest = cfg.fingerprint_digest()?.unwrap_or(DigestAlgorithm::Sha256);
        if let Some(notice) = cfg
            .assumed(&format!("smtpd_tls_fingerprint_digest = {digest}"), |c| {
                c.fingerprint_digest().ok().flatten()
            })
        {
            self.notice(&notice);
        }
        Ok(digest)
    }

    /// Whether entries should be public-key fingerprints when the user did
    /// not say: yes when raw public keys are on (a raw-key client has no
    /// certificate fingerprint), with a notice saying so.
    pub fn default_pubkey(&self) -> anyhow::Result<bool> {
        let cfg = self.postfix()?;
        if cfg.present && cfg.rpk_enabled() {
            self.notice(
                "smtpd_tls_enable_rpk = yes: adding public-key fingerprints (a client that sends \
                 a raw public key has no certificate fingerprint)",
            );
            return Ok(true);
        }
        Ok(false)
    }

    /// The clientcerts source file: `--map`, else the source of the first
    /// table relay_clientcerts names that ccert builds (for sqlite the file
    /// beside its `.sqlite.cf`, see [`source_of`]), else
    /// `<config-dir>/clientcerts`.
    pub fn source_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(map) = &self.map {
            if crate::fleet::store_config(&map.to_string_lossy()).is_some() {
                anyhow::bail!(
                    "--map {}: a database list, not a source file; this command works on files",
                    map.display()
                );
            }
            return Ok(map.clone());
        }
        if let Some(value) = self.postfix()?.get("relay_clientcerts")
            && let Some(source) = restrictions::items(&value).iter().find_map(|item| {
                let table = TableRef::parse(item);
                table.ccert_type().ok()??;
                table.source()
            })
        {
            return Ok(source);
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
        if let Some(map) = self.database_list()? {
            return Ok(Some(map));
        }
        let file = self.source_path()?;
        Ok(crate::fleet::synced_from(&file).inspect(|from| {
            tell!(
                "ccert: notice: {} is a copy kept by `ccert sync`; using {from}",
                file.display()
            )
        }))
    }

    /// The database list named as such: `--map pgsql:CF` (also
    /// `proxy:pgsql:CF`), else the first table of relay_clientcerts when that
    /// is a pgsql: one. Unlike [`Context::store_map`], a `ccert sync` copy
    /// stays the file it is (what `check` watches is what Postfix reads).
    pub fn database_list(&self) -> anyhow::Result<Option<String>> {
        if let Some(map) = &self.map {
            let text = map.to_string_lossy();
            return Ok(crate::fleet::store_config(&text).map(|_| text.into_owned()));
        }
        let value = self.postfix()?.get("relay_clientcerts").unwrap_or_default();
        let first = restrictions::items(&value).into_iter().next();
        Ok(first.filter(|item| crate::fleet::store_config(item).is_some()))
    }

    /// Every table `relay_clientcerts` and `check_ccert_access` name (see
    /// [`PostfixConfig::configured_tables`]).
    pub fn configured_tables(&self) -> anyhow::Result<Vec<ConfiguredTable>> {
        Ok(self.postfix()?.configured_tables())
    }

    /// The table a reference from the command line (or the configuration)
    /// stands for, as Postfix opens it ([`PostfixConfig::open_table`]); its
    /// notices (a redirect, an ignored setting) are said once each.
    pub fn table(&self, table: &TableRef, explicit: Option<MapType>) -> anyhow::Result<Table> {
        let opened = self.postfix()?.open_table(table, explicit)?;
        for notice in &opened.notices {
            self.notice(notice);
        }
        Ok(Table {
            map_type: opened.map_type,
            source: opened.source,
        })
    }

    /// The table a read-only command (query, dump) opens for `spec`, as
    /// [`Context::table`] says, but without asking Postfix (three postconf
    /// runs, four times the cost of a lookup) where nothing Postfix says can
    /// change the answer: an `lmdb:`, `cdb:` or `sqlite:` name is read as
    /// written (no Postfix redirects those, and ccert reads every type
    /// itself). A `hash:` name is read as written when its table exists and
    /// either no other table of its source exists (3.11's redirect could
    /// only lead to a missing one) or every table of the source is at least
    /// as new as the source (each holds what the source says, so the answer
    /// is the same whichever one a redirect makes Postfix open).
    pub fn table_to_read(&self, spec: &str) -> anyhow::Result<Table> {
        let table = TableRef::parse(spec);
        if let Ok(Some(map_type)) = table.ccert_type() {
            let source = source_of(map_type.name(), Path::new(&table.name))
                .unwrap_or_else(|| table.name.clone().into());
            if map_type != MapType::Hash || hash_answer_is_postfixs(&source) {
                return Ok(Table { map_type, source });
            }
        }
        self.table(&table, None)
    }

    /// Whether a `check_ccert_access` restriction (main.cf or a master.cf
    /// service) names a table built from `source`: its values are then
    /// access(5) actions, not names.
    pub fn is_access_source(&self, source: &Path) -> anyhow::Result<bool> {
        Ok(self.configured_tables()?.iter().any(|c| {
            c.setting != "relay_clientcerts"
                && c.table.source().is_some_and(|s| same_file(&s, source))
        }))
    }

    /// The tables to keep in step with `source` after an edit: those that
    /// exist next to it, plus the configured ones built from it (as Postfix
    /// opens them), so `add` also builds a configured table that does not
    /// exist yet.
    pub fn tables_of_source(&self, source: &Path) -> anyhow::Result<Vec<MapType>> {
        let mut types: Vec<MapType> = MapType::ALL
            .into_iter()
            .filter(|t| t.table_path(source).exists())
            .collect();
        for c in self.configured_tables()? {
            let buildable =
                (c.table.table_type.as_ref()).is_some_and(TableType::is_built_from_source);
            let Some(src) = c.table.source().filter(|_| buildable) else {
                continue;
            };
            if !same_file(&src, source) {
                continue;
            }
            let table = self.table(&c.table, None)?;
            if !types.contains(&table.map_type) {
                types.push(table.map_type);
            }
        }
        Ok(types)
    }
}

/// Whether the `hash:` table of `source` answers as the table Postfix opens
/// for `hash:SOURCE` whatever its release and settings (see
/// [`Context::table_to_read`]).
fn hash_answer_is_postfixs(source: &Path) -> bool {
    let modified = |path: &Path| path.metadata().and_then(|m| m.modified()).ok();
    if modified(&MapType::Hash.table_path(source)).is_none() {
        return false;
    }
    let others: Vec<PathBuf> = [MapType::Lmdb, MapType::Cdb, MapType::Sqlite]
        .iter()
        .map(|t| t.table_path(source))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    if others.is_empty() {
        return true;
    }
    let Some(edited) = modified(source) else {
        return false;
    };
    std::iter::once(MapType::Hash.table_path(source))
        .chain(others)
        .all(|table| modified(&table).is_some_and(|built| built >= edited))
}

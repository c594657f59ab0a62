//! The relay_clientcerts tables: a type this Postfix has, present, not older than the source.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::postfix::PostfixConfig;
use crate::postfix::restrictions::{self, PERMIT_CERTS};

use super::{Doctor, Severity};

impl Doctor {
    /// Checks every relay_clientcerts table; returns the source files to audit.
    pub(super) fn check_tables(&mut self, cfg: &PostfixConfig) -> Vec<PathBuf> {
        let main = cfg.main_cf_path();
        let value = cfg.get("relay_clientcerts").unwrap_or_default();
        let default_type = cfg
            .get("default_database_type")
            .unwrap_or_else(|| "hash".into());
        let tables = restrictions::items(&value);
        if tables.is_empty() {
            self.push(
                Severity::Error,
                Some(&main),
                cfg.main_cf_line("relay_clientcerts"),
                None,
                format!("relay_clientcerts is empty: {PERMIT_CERTS} can never match a certificate"),
                Some(format!(
                    "relay_clientcerts = {default_type}:{}/clientcerts\nthen add certificates: ccert add HOST.pem --name HOST",
                    cfg.config_dir.display()
                )),
            );
            return Vec::new();
        }
        let supported = supported_types(&cfg.config_dir);
        if supported.is_none() {
            self.push(
                Severity::Info,
                None,
                None,
                None,
                "postconf is not installed here: not checking which table types this Postfix supports"
                    .to_string(),
                None,
            );
        }
        let line = cfg.main_cf_line("relay_clientcerts");
        let mut sources = Vec::new();
        for table in tables {
            let Some((kind, name)) = table.split_once(':') else {
                self.push(
                    Severity::Error,
                    Some(&main),
                    line,
                    None,
                    format!("relay_clientcerts: \"{table}\" has no type: prefix"),
                    Some(format!("relay_clientcerts = {default_type}:{table}")),
                );
                continue;
            };
            // proxy:TYPE:NAME is read through proxymap; the table is TYPE:NAME.
            let (kind, name) = match (kind, name.split_once(':')) {
                ("proxy", Some(inner)) => inner,
                _ => (kind, name),
            };
            if let Some(types) = &supported
                && !types.iter().any(|t| t == kind)
            {
                self.push(
                        Severity::Error,
                        Some(&main),
                        line,
                        None,
                        format!(
                            "relay_clientcerts uses table type {kind}, which this Postfix lacks (postconf -m lists {})",
                            types.join(", ")
                        ),
                        Some(format!(
                            "install the Postfix package for {kind} (Debian: apt install postfix-{kind}) or use relay_clientcerts = {default_type}:{name}"
                        )),
                    );
                continue;
            }
            let source = PathBuf::from(name);
            let suffix = match kind {
                "hash" | "btree" => Some(".db"),
                "lmdb" => Some(".lmdb"),
                "cdb" => Some(".cdb"),
                "dbm" | "sdbm" => Some(".pag"),
                _ => None,
            };
            match (kind, suffix) {
                (_, Some(suffix)) => {
                    let mut t = source.clone().into_os_string();
                    t.push(suffix);
                    let table_path = PathBuf::from(t);
                    self.check_table_file(kind, &source, &table_path);
                    if source.is_file() {
                        sources.push(source);
                    }
                }
                ("texthash", _) => {
                    if source.is_file() {
                        sources.push(source);
                    } else {
                        self.push(
                            Severity::Error,
                            Some(&source),
                            None,
                            None,
                            format!(
                                "relay_clientcerts names texthash:{name}, which does not exist"
                            ),
                            Some(format!("ccert --map {name} add HOST.pem --no-compile")),
                        );
                    }
                }
                ("sqlite", _) => {
                    if !source.is_file() {
                        self.push(
                            Severity::Error,
                            Some(&source),
                            None,
                            None,
                            format!("relay_clientcerts names sqlite:{name}, which does not exist"),
                            Some("ccert compile sqlite:SOURCE writes SOURCE.sqlite and SOURCE.sqlite.cf; then relay_clientcerts = sqlite:SOURCE.sqlite.cf".to_string()),
                        );
                    }
                    match name.strip_suffix(".sqlite.cf").map(PathBuf::from) {
                        Some(src) if src.is_file() => sources.push(src),
                        _ => self.push(
                            Severity::Info,
                            Some(&source),
                            None,
                            None,
                            "no ccert source file next to this sqlite table: its entries are not audited"
                                .to_string(),
                            None,
                        ),
                    }
                }
                _ => self.push(
                    Severity::Info,
                    Some(&main),
                    line,
                    None,
                    format!("relay_clientcerts table {table} is not a file ccert can audit"),
                    None,
                ),
            }
        }
        sources
    }

    pub(super) fn check_table_file(&mut self, kind: &str, source: &Path, table: &Path) {
        let compile = format!("ccert compile {kind}:{}", source.display());
        let table_meta = std::fs::metadata(table).ok();
        let source_meta = std::fs::metadata(source).ok();
        match (&table_meta, &source_meta) {
            (None, _) => self.push(
                Severity::Error,
                Some(table),
                None,
                None,
                format!(
                    "relay_clientcerts table {} is missing{}",
                    table.display(),
                    if source_meta.is_none() {
                        format!(" and so is its source {}", source.display())
                    } else {
                        String::new()
                    }
                ),
                Some(if source_meta.is_none() {
                    "ccert add HOST.pem --name HOST (creates the source and compiles it)"
                        .to_string()
                } else {
                    compile
                }),
            ),
            (Some(t), Some(s)) => {
                if let (Ok(tm), Ok(sm)) = (t.modified(), s.modified())
                    && sm > tm
                {
                    self.push(
                        Severity::Error,
                        Some(table),
                        None,
                        None,
                        format!(
                            "{} is older than its source {}: Postfix uses the old entries",
                            table.display(),
                            source.display()
                        ),
                        Some(compile),
                    );
                }
            }
            (Some(_), None) => self.push(
                Severity::Warning,
                Some(source),
                None,
                None,
                format!(
                    "the source {} of {} is missing: its entries cannot be audited or edited",
                    source.display(),
                    table.display()
                ),
                Some(format!(
                    "recreate it: ccert dump {kind}:{} > {}",
                    source.display(),
                    source.display()
                )),
            ),
        }
    }
}

/// The table types this Postfix supports (`postconf -c DIR -m`), or `None`
/// when postconf is not installed or fails.
fn supported_types(config_dir: &Path) -> Option<Vec<String>> {
    let postconf = find_tool("postconf")?;
    let out = Command::new(postconf)
        .arg("-c")
        .arg(config_dir)
        .arg("-m")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

/// Finds a tool on PATH or in /usr/sbin and /sbin (where Postfix's live).
fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

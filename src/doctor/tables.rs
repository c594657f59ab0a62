//! The relay_clientcerts tables: a type this Postfix has, present, not older than the source.

use std::path::{Path, PathBuf};

use crate::postfix::restrictions::{self, PERMIT_CERTS};
use crate::postfix::{PostfixConfig, TableType, redirect};

use super::{Doctor, Finding};

impl Doctor {
    /// Checks every relay_clientcerts and check_ccert_access table; returns
    /// the source files to audit.
    pub(super) fn check_tables(&mut self, cfg: &PostfixConfig) -> Vec<PathBuf> {
        let main = cfg.main_cf_path();
        let default_type = cfg
            .get("default_database_type")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "hash".into());
        let relay = restrictions::items(&cfg.get("relay_clientcerts").unwrap_or_default());
        let tables = cfg.configured_tables();
        if relay.is_empty() && tables.is_empty() {
            self.add(
                Finding::error(format!(
                    "relay_clientcerts is empty: {PERMIT_CERTS} can never match a certificate"
                ))
                .file(&main)
                .line(cfg.main_cf_line("relay_clientcerts"))
                .fix(format!(
                    "relay_clientcerts = {default_type}:{}/clientcerts\nthen add certificates: ccert add HOST.pem --name HOST",
                    cfg.config_dir.display()
                )),
            );
            return Vec::new();
        }
        for table in relay.iter().filter(|t| !t.contains(':')) {
            self.add(
                Finding::error(format!(
                    "relay_clientcerts: \"{table}\" has no type: prefix"
                ))
                .file(&main)
                .line(cfg.main_cf_line("relay_clientcerts"))
                .fix(format!("relay_clientcerts = {default_type}:{table}")),
            );
        }
        let types = cfg.table_types();
        let mut sources = Vec::new();
        for table in tables {
            let line = cfg.main_cf_line(&table.setting);
            let setting = &table.setting;
            let name = table.table.name.as_str();
            let written = table
                .table
                .table_type
                .clone()
                .unwrap_or(TableType::Other(String::new()));
            let mut kind = written.name().to_string();
            if written.is_berkeley_db() {
                match redirect::redirect(cfg, &kind, name) {
                    Ok(Some(r)) => {
                        self.add(
                            Finding::note(format!(
                                "{setting}: {kind}:{name} is read as {}:{name} ({}); that table is audited",
                                r.to, r.why
                            ))
                            .file(&main)
                            .line(line),
                        );
                        kind = r.to;
                    }
                    Ok(None) if !cfg.supports_type(&kind) => {
                        self.add(
                            Finding::error(format!(
                                "{setting}: {kind}:{name} is a Berkeley DB table, which this Postfix cannot open (postconf -m: {}): smtpd answers 451 temporary lookup failure; {}",
                                types.join(" "),
                                cfg.bdb_absence()
                                    .map(|a| a.to_string())
                                    .unwrap_or_default()
                            ))
                            .file(&main)
                            .line(line)
                            .fix(format!("ccert migrate --to {default_type} --apply && postfix reload")),
                        );
                        continue;
                    }
                    Ok(None) if cfg.bdb_deprecated() => self.add(
                        Finding::warning(format!(
                            "{setting}: {kind}:{name} is a Berkeley DB table, which this Postfix ({}) deprecates",
                            cfg.release()
                        ))
                        .file(&main)
                        .line(line)
                        .fix(format!("ccert migrate --to {default_type} --apply && postfix reload")),
                    ),
                    Ok(None) => {}
                    Err(e) => {
                        self.add(Finding::error(crate::report::chain_line(&e)));
                        continue;
                    }
                }
            }
            let kind = kind.as_str();
            if !types.iter().any(|t| t == kind) {
                self.add(
                    Finding::error(format!(
                        "{setting} uses table type {kind}, which this Postfix lacks (postconf -m lists {})",
                        types.join(", ")
                    ))
                    .file(&main)
                    .line(line)
                    .fix(format!(
                        "install the Postfix package for {kind} (Debian: apt install postfix-{kind}) or use {default_type}:{name}"
                    )),
                );
                continue;
            }
            let source = PathBuf::from(name);
            let suffix = TableType::from_name(kind).file_suffix();
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
                        self.add(
                            Finding::error(format!(
                                "{setting} names texthash:{name}, which does not exist"
                            ))
                            .file(&source)
                            .fix(format!("ccert --map {name} add HOST.pem --no-compile")),
                        );
                    }
                }
                ("sqlite", _) => {
                    if !source.is_file() {
                        self.add(Finding::error(format!("{setting} names sqlite:{name}, which does not exist")).file(&source).fix("ccert compile sqlite:SOURCE writes SOURCE.sqlite and SOURCE.sqlite.cf; then relay_clientcerts = sqlite:SOURCE.sqlite.cf".to_string()));
                    }
                    // A `.cf` file ccert did not write has no source to audit.
                    match crate::maps::source_of("sqlite", &source) {
                        Some(src) if src.is_file() => sources.push(src),
                        _ => self.add(Finding::note("no ccert source file next to this sqlite table: its entries are not audited"
                                .to_string()).file(&source)),
                    }
                }
                _ => self.add(
                    Finding::note(format!(
                        "{setting}: table {kind}:{name} is not a file ccert can audit"
                    ))
                    .file(&main)
                    .line(line),
                ),
            }
        }
        sources
    }

    pub(super) fn check_table_file(&mut self, kind: &str, source: &Path, table: &Path) {
        let compile = format!("ccert compile {kind}:{}", source.display());
        let table_meta = std::fs::metadata(table).ok();
        let source_meta = std::fs::metadata(source).ok();
        // A table of another type built from the same source (the quick
        // start's `compile lmdb:` under a `hash:` setting) is named: it is
        // what the admin most likely meant.
        let built: Vec<String> = crate::maps::MapType::ALL
            .into_iter()
            .filter(|t| t.name() != kind && t.table_path(source).exists())
            .map(|t| format!("{}:{}", t.name(), source.display()))
            .collect();
        match (&table_meta, &source_meta) {
            (None, _) if source_meta.is_some() && !built.is_empty() => self.add(
                Finding::error(format!(
                    "table {} is missing, but {} exists",
                    table.display(),
                    built.join(" and ")
                ))
                .file(table)
                .fix(format!(
                    "name {} in main.cf instead, or build this one: {compile}",
                    built[0]
                )),
            ),
            (None, _) => self.add(
                Finding::error(format!(
                    "table {} is missing{}",
                    table.display(),
                    if source_meta.is_none() {
                        format!(" and so is its source {}", source.display())
                    } else {
                        String::new()
                    }
                ))
                .file(table)
                .fix(if source_meta.is_none() {
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
                    self.add(
                        Finding::error(format!(
                            "{} is older than its source {}: Postfix uses the old entries",
                            table.display(),
                            source.display()
                        ))
                        .file(table)
                        .fix(compile),
                    );
                }
            }
            (Some(_), None) => self.add(
                Finding::warning(format!(
                    "the source {} of {} is missing: its entries cannot be audited or edited",
                    source.display(),
                    table.display()
                ))
                .file(source)
                .fix(format!(
                    "recreate it: ccert dump {kind}:{} > {}",
                    source.display(),
                    source.display()
                )),
            ),
        }
    }
}

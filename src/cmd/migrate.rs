//! `ccert migrate --to lmdb|cdb [--apply]`: moves the relay_clientcerts and
//! check_ccert_access tables off Berkeley DB (hash:, btree:). Builds each new
//! table from its source, then prints (or with --apply writes, atomically and
//! with a backup) the main.cf and master.cf lines naming it. The old table
//! stays: the running Postfix reads it until `postfix reload`.
//!
//! `--apply` writes master.cf before main.cf, and finds the tables to move
//! in both (main.cf's settings and every smtpd service's `-o` overrides): a
//! run killed between the two writes, or a master.cf that still names a
//! `hash:` table main.cf no longer does, is finished by the next run. The
//! temp files of killed runs are swept first; comment lines are never
//! rewritten.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::MigrateArgs;
use crate::fsutil::{Permissions, write_atomic};
use crate::maps::MapType;
use crate::maps::compile::compile;
use crate::maps::prepare::DuplicatePolicy;
use crate::postfix::rewrite::{ChangedLine, rename_table};
use crate::postfix::{PostfixConfig, TableRef, TableType, restrictions};

use super::{Context, Outcome};

/// Runs `ccert migrate`.
pub fn run(args: &MigrateArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let to = MapType::from(args.to);
    let cfg = ctx.postfix()?;
    let mut tables = ctx.configured_tables()?;
    // A service's own relay_clientcerts (`-o relay_clientcerts=…`), which
    // main.cf's may no longer match (a run killed between the two writes).
    for s in cfg.services().iter().filter(|s| s.is_smtpd()) {
        let value = cfg
            .effective_for_service(s, "relay_clientcerts")
            .unwrap_or_default();
        for item in restrictions::items(&value) {
            let Ok(expanded) = cfg.expand(&item) else {
                continue;
            };
            let table = crate::postfix::TableRef::parse(&expanded);
            if table.table_type.is_some()
                && !tables
                    .iter()
                    .any(|c| c.table.table_type == table.table_type && c.table.name == table.name)
            {
                tables.push(crate::postfix::ConfiguredTable {
                    table,
                    setting: format!("{}: relay_clientcerts", s.id()),
                });
            }
        }
    }
    let old: Vec<_> = tables
        .into_iter()
        .filter(|c| {
            c.table
                .table_type
                .as_ref()
                .is_some_and(TableType::is_berkeley_db)
        })
        .collect();
    if old.is_empty() {
        say!(
            "nothing to migrate: relay_clientcerts and check_ccert_access name no hash: or btree: table in {}",
            ctx.config_dir.display()
        );
        return Ok(Outcome::Success);
    }
    let files = [cfg.main_cf_path(), cfg.master_cf_path()];
    let mut texts: Vec<Option<String>> = files
        .iter()
        .map(|f| crate::fsutil::read_to_string_bounded(f, crate::fsutil::limits::CONFIG_FILE).ok())
        .collect();
    let mut changes: Vec<(usize, ChangedLine)> = Vec::new();
    for table in &old {
        let source = PathBuf::from(&table.table.name);
        // Build first: a source that cannot be compiled leaves the configuration alone.
        let _shared = crate::source::locked::lock_shared(&source)?;
        let report = compile(&source, to, DuplicatePolicy::Warn).with_context(|| {
            format!(
                "{to}:{} was not built (named by {}); nothing changed",
                source.display(),
                table.setting
            )
        })?;
        say!(
            "built {} ({} entries) from {}",
            to.postfix_name(&source),
            report.records,
            source.display()
        );
        let expanded = table.table.to_string();
        for from in written_names(cfg, &expanded) {
            let new = format!("{to}:{}", TableRef::parse(&from).name);
            for (i, text) in texts.iter_mut().enumerate() {
                if let Some(t) = text {
                    let (renamed, changed) = rename_table(t, &from, &new);
                    *t = renamed;
                    changes.extend(changed.into_iter().map(|c| (i, c)));
                }
            }
        }
    }
    if changes.is_empty() {
        say!(
            "no line of main.cf or master.cf names these tables directly (a $parameter names them?): \
             change the setting that names them to {to}:…"
        );
        return Ok(Outcome::Success);
    }
    for (i, c) in &changes {
        say!(
            "{}:{}:\n- {}\n+ {}",
            files[*i].display(),
            c.line,
            c.old,
            c.new
        );
    }
    if !args.apply {
        say!(
            "nothing written: run `ccert migrate --to {to} --apply` (or edit the lines above), then `postfix reload`"
        );
        return Ok(Outcome::Success);
    }
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    for file in &files {
        // Temp files of a killed run (of the files and of their backups).
        crate::fsutil::remove_stale_temps(file);
    }
    // master.cf first: until main.cf is written too, the next run still
    // sees the old table there and finishes the job.
    for (i, file) in files.iter().enumerate().rev() {
        if !changes.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let text = texts[i].as_deref().unwrap_or_default();
        let backup = backup_path(file, stamp);
        write_with_backup(file, &backup, text)?;
        say!("wrote {} (backup: {})", file.display(), backup.display());
    }
    say!(
        "now run `postfix reload`; the old tables ({}) are left in place for the running Postfix, delete them afterwards",
        old.iter()
            .map(|t| t.table.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Outcome::Success)
}

/// How the configuration files write the table whose expanded name is
/// `expanded` (`hash:$config_directory/clientcerts` for
/// `hash:/etc/postfix/clientcerts`): every main.cf value and master.cf
/// override is split into items, and the items (also inside
/// `check_ccert_access { … }`) that expand to it are kept.
fn written_names(cfg: &PostfixConfig, expanded: &str) -> Vec<String> {
    let values = cfg.main_cf().params.iter().map(|p| p.value.clone()).chain(
        cfg.services()
            .iter()
            .flat_map(|s| s.overrides.iter().map(|o| o.value.clone())),
    );
    let mut out = vec![expanded.to_string()];
    for value in values {
        for item in restrictions::items(&value) {
            let inner = item
                .strip_prefix('{')
                .and_then(|i| i.strip_suffix('}'))
                .map(restrictions::items)
                .unwrap_or_else(|| vec![item.clone()]);
            for candidate in inner {
                // As written, without `proxy:` (kept around the renamed name).
                let candidate = TableRef::parse(&candidate).to_string();
                if cfg.expand(&candidate).is_ok_and(|e| e == expanded) && !out.contains(&candidate)
                {
                    out.push(candidate);
                }
            }
        }
    }
    out
}

/// `FILE.ccert-UNIXTIME`.
fn backup_path(file: &Path, stamp: i64) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(format!(".ccert-{stamp}"));
    PathBuf::from(s)
}

/// Copies `file` to `backup` (same owner and mode), then replaces `file`
/// atomically with `text`.
fn write_with_backup(file: &Path, backup: &Path, text: &str) -> anyhow::Result<()> {
    let perms = Permissions::of_existing(file)
        .with_context(|| format!("{}: cannot read its owner and mode", file.display()))?;
    let old = crate::fsutil::read_bounded(file, crate::fsutil::limits::CONFIG_FILE)
        .with_context(|| format!("{}: cannot read", file.display()))?;
    write_atomic(backup, &old, &perms)
        .with_context(|| format!("{}: cannot write the backup", backup.display()))?;
    write_atomic(file, text.as_bytes(), &perms)
        .with_context(|| format!("{}: cannot write; it is unchanged", file.display()))?;
    Ok(())
}

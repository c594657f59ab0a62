//! `ccert sync --from pgsql:CF --to TYPE:FILE`: a local copy of a database
//! list for servers that must keep relaying while the database is down.
//!
//! FILE is an ordinary clientcerts source (ccert's comment lines, postmap's
//! syntax) whose first line records the database and generation it was
//! written from; its table is compiled next to it. Both are replaced
//! atomically, and only when the database changed (or the table is missing
//! or older than FILE), so a timer can run sync every minute for free.

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::cli::SyncArgs;
use crate::fleet::pgsql::PgsqlStore;
use crate::fleet::{ListStore, StoredEntry};
use crate::maps::prepare::DuplicatePolicy;
use crate::postfix::TableRef;
use crate::source::SourceFile;
use crate::source::annotation::Annotation;
use crate::source::locked::LockedSource;

use super::{Context, Outcome};

use crate::fleet::SYNC_HEADER as HEADER;

/// Runs `ccert sync`.
pub fn run(args: &SyncArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    let Some(cf) = crate::fleet::store_config(&args.from) else {
        bail!("--from {}: name the database list as pgsql:CF", args.from);
    };
    let to = TableRef::parse(&args.to);
    let Some(map_type) = to.ccert_type()? else {
        bail!(
            "--to {}: give the table type, e.g. --to cdb:{} (or lmdb:)",
            args.to,
            to.name
        );
    };
    let file = &std::path::PathBuf::from(&to.name);
    // Connect before touching FILE: with the database down nothing is created.
    let mut store = PgsqlStore::open(&cf)?;
    let (id, generation) = store.generation()?;
    // The source-file lock every ccert edit takes: concurrent syncs (a timer
    // and a manual run) take turns, and each sees the other's result.
    let mut locked =
        LockedSource::open(file, true).with_context(|| format!("opening {}", file.display()))?;
    let existing = locked
        .source()
        .with_context(|| format!("reading {}", file.display()))?;
    let first = existing
        .as_bytes()
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    let first = String::from_utf8_lossy(first).into_owned();
    if !locked.created() && !existing.as_bytes().is_empty() && !first.starts_with(HEADER) {
        bail!(
            "{}: not written by `ccert sync` (its first line is not `{HEADER} …`); \
             nothing changed. Point --to at another file, or move this one away",
            file.display()
        );
    }
    let table = map_type.table_path(file);
    let table_fresh = match (std::fs::metadata(&table), std::fs::metadata(file)) {
        (Ok(t), Ok(f)) => t.modified().ok() >= f.modified().ok(),
        _ => false,
    };
    if first == header(&id, generation, &cf) && table_fresh {
        say!(
            "{}: up to date (generation {generation})",
            map_type.postfix_name(file)
        );
        return Ok(Outcome::Success);
    }
    let ((id, generation), entries) = store.snapshot()?;
    let text = source_text(&header(&id, generation, &cf), &entries);
    locked
        .commit(&SourceFile::parse(text.as_bytes()))
        .with_context(|| format!("writing {}", file.display()))?;
    let report = crate::maps::compile::compile(file, map_type, DuplicatePolicy::Warn)
        .with_context(|| {
            format!(
                "{} was written, but building its table failed; the old table is unchanged",
                file.display()
            )
        })?;
    drop(locked);
    say!(
        "wrote {} ({} entries, generation {generation} of {})",
        map_type.postfix_name(file),
        report.records,
        store.postfix_name()
    );
    Ok(Outcome::Success)
}

fn header(id: &str, generation: i64, cf: &Path) -> String {
    crate::fleet::sync_header(id, generation, &format!("pgsql:{}", cf.display()))
}

/// The source text: header, then each entry with ccert's comment line.
fn source_text(header: &str, entries: &[StoredEntry]) -> String {
    let mut out = String::with_capacity(64 + entries.len() * 200);
    out.push_str(header);
    out.push_str("\n# Written from the database; local edits are replaced by the next sync.\n");
    for e in entries {
        if crate::source::check_value(e.name.as_bytes()).is_err()
            || e.fingerprint.contains(char::is_whitespace)
        {
            tell!(
                "ccert: warning: {}: the name {:?} cannot be written to a source file; skipped",
                e.fingerprint,
                e.name
            );
            continue;
        }
        let prefix: String = e.fingerprint.to_uppercase().chars().take(11).collect();
        let note = Annotation {
            added: e.added_at.map(|t| t.date()),
            digest: e.digest,
            pubkey: e.pubkey,
            fp_prefix: Some(prefix),
            not_after: e.not_after,
            subject: e.subject.clone(),
            // A row without a certificate was added by fingerprint.
            by_fingerprint: e.certificate.is_none(),
            name: None,
        };
        out.push_str(&note.to_line());
        out.push('\n');
        out.push_str(&e.fingerprint);
        out.push(' ');
        out.push_str(&e.name);
        out.push('\n');
    }
    out
}

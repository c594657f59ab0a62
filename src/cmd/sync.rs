//! `ccert sync --from pgsql:CF --to TYPE:FILE`: a local copy of a database
//! list for servers that must keep relaying while the database is down.
//!
//! FILE is an ordinary clientcerts source (ccert's comment lines, postmap's
//! syntax) whose first line records the database, generation, entry count
//! and content digest it was written from ([`SyncHeader`]); its table is
//! compiled next to it. Both are replaced atomically, and only when the
//! list's content changed (or the table is missing or older than FILE), so
//! a timer can run sync every minute: an unchanged list costs one query.
//!
//! A sync server exists to stay right when the database is not, so sync
//! refuses a copy that would most likely be a mistake (docs/fleet.md, "What
//! sync refuses and why"): another database behind the `.cf` (a re-created
//! or repointed one), another list than FILE was copied from, or a snapshot
//! that removes most or all entries (an emptied database, row-level
//! security hiding rows). The old FILE and table then stay as they were.
//!
//! Rows stream from the database into the new FILE and FILE streams into
//! its table, so memory stays small whatever the list's size.

use std::io::{BufWriter, Read as _, Write};
use std::path::Path;

use anyhow::{Context as _, bail};

use crate::cli::SyncArgs;
use crate::fleet::pgsql::PgsqlStore;
use crate::fleet::{
    DeliberateShrink, EntryOrder, ListState, ListStore, StoreError, StoredEntry, SyncHeader,
};
use crate::maps::prepare::DuplicatePolicy;
use crate::maps::same_file;
use crate::postfix::TableRef;
use crate::source::Item;
use crate::source::annotation::Annotation;
use crate::source::locked::LockedSource;
use crate::source::locked::SourceError;

use super::{Context, Outcome};

use crate::fleet::SYNC_HEADER as HEADER;

/// Runs `ccert sync`.
pub fn run(args: &SyncArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let Some(cf) = crate::fleet::store_config(&args.from) else {
        bail!("--from {}: name the database list as pgsql:CF", args.from);
    };
    let from = format!("pgsql:{}", cf.display());
    let to = TableRef::parse(&args.to);
    let Some(map_type) = to.ccert_type()? else {
        bail!(
            "--to {}: give the table type, e.g. --to cdb:{} (or lmdb:)",
            args.to,
            to.name
        );
    };
    let file = &std::path::PathBuf::from(&to.name);
    let shown = map_type.postfix_name(file);
    // A sync timer must never pile up runs: when another ccert holds FILE
    // (a sync still writing it), this one leaves at once; that run does the work.
    if crate::fsutil::flock_busy(file) {
        say!("{shown}: another ccert run is writing it; skipped");
        return Ok(Outcome::Success);
    }
    // Connect before touching FILE: with the database down nothing is created.
    let mut store = PgsqlStore::open(&cf)?;
    let source_name = store.postfix_name();
    // The source-file lock every ccert edit takes: concurrent syncs (a timer
    // and a manual run) take turns, and each sees the other's result.
    let mut locked = LockedSource::open(file, true)?;
    let first = first_line(&locked, file)?;
    let old = match first {
        None => None,
        Some(line) => match SyncHeader::parse(&line) {
            Some(header) => Some(header),
            None => bail!(
                "{}: not written by `ccert sync` (its first line is not `{HEADER} …`); \
                 nothing changed. Point --to at another file, or move this one away",
                file.display()
            ),
        },
    };
    // The revocations first, before any refusal of the list copy: they
    // only ever add deny entries (docs/fleet.md, "Revocations"), so a
    // database that lost rows cannot take one back, and a revoked
    // certificate is denied here even while the old copy still lists it.
    // A failure to write them is reported after the list copy, which
    // removes the revoked entries.
    // A role that may read the list but not its revocations (granted
    // before schema 4) still gets the list: a warning, not a refusal.
    let revocations = store.revocations().unwrap_or_else(|e| {
        tell!(
            "ccert: warning: {:#}; the revocations were not copied (GRANT SELECT ON \
             ccert_revocations to the .cf's user, or run `ccert db init` again)",
            anyhow::Error::new(e)
        );
        Vec::new()
    });
    let deny_failed = super::deny::copy_revocations(&revocations, file, ctx).err();
    let deny_result = || match &deny_failed {
        Some(e) => Err(anyhow::anyhow!(
            "{e:#}; the revocations of {source_name} were not copied into the local deny table"
        )),
        None => Ok(Outcome::Success),
    };
    let mut snapshot = store.snapshot()?;
    let state = snapshot.state.clone();
    let table = map_type.table_path(file);
    let table_fresh = match (std::fs::metadata(&table), std::fs::metadata(file)) {
        (Ok(t), Ok(f)) => t.modified().ok() >= f.modified().ok(),
        _ => false,
    };
    if let Some(old) = &old {
        if old.matches(&state) && same_list(&old.from, &from) && table_fresh {
            say!(
                "{shown}: up to date ({} entries, generation {})",
                state.entries,
                state.generation
            );
            return deny_result();
        }
        refuse_unlikely(old, &state, &from, args, file, &locked)?;
    }
    // Stream the snapshot into the new FILE; a database error on the way
    // leaves the old FILE (the temp file is removed).
    let header = SyncHeader::new(&state, &from);
    let mut database_error: Option<StoreError> = None;
    let mut written = 0u64;
    let committed = locked.commit_streamed(|out| {
        let mut w = BufWriter::with_capacity(1 << 16, out);
        writeln!(w, "{header}")?;
        writeln!(
            w,
            "# Written from the database; local edits are replaced by the next sync."
        )?;
        let mut write_error = None;
        let streamed = snapshot.each_entry(EntryOrder::Fingerprint, &mut |e| {
            match write_entry(&mut w, &e) {
                Ok(true) => written += 1,
                Ok(false) => {}
                Err(err) => {
                    write_error = Some(err);
                    return false;
                }
            }
            true
        });
        if let Err(e) = streamed {
            database_error = Some(e);
            return Err(std::io::Error::other("reading the database list failed"));
        }
        if let Some(e) = write_error {
            return Err(e);
        }
        w.flush()
    });
    if let Some(e) = database_error {
        return Err(anyhow::Error::new(e).context(format!(
            "{shown}: nothing changed; the old table stays in place"
        )));
    }
    committed.map_err(|e: SourceError| {
        anyhow::Error::new(e).context("the copy was not written; the old table stays in place")
    })?;
    // The snapshot's transaction ends here (read only: rolled back).
    drop(snapshot);
    let report = crate::maps::compile::compile(file, map_type, DuplicatePolicy::Warn)
        .with_context(|| {
            format!(
                "{} was written, but building its table failed; the old table is unchanged",
                file.display()
            )
        })?;
    drop(locked);
    debug_assert!(report.records as u64 <= written);
    say!(
        "wrote {shown} ({} entries, generation {} of {source_name})",
        report.records,
        state.generation
    );
    deny_result()
}

/// FILE's first line, when FILE is not empty (at most 4 KiB are read: a
/// header is short, and a FILE that is not sync's may be anything).
fn first_line(locked: &LockedSource, file: &Path) -> Result<Option<String>, SourceError> {
    let mut head = Vec::new();
    locked
        .bytes()?
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|source| SourceError::Io {
            path: file.to_path_buf(),
            action: "read",
            source,
        })?;
    if head.is_empty() {
        return Ok(None);
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(Some(
        String::from_utf8_lossy(line)
            .trim_end_matches('\r')
            .to_string(),
    ))
}

/// Whether two `pgsql:CF` names are the same list (the same `.cf` file,
/// however it was spelled).
fn same_list(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (crate::fleet::store_config(a), crate::fleet::store_config(b)) {
        (Some(x), Some(y)) => same_file(&x, &y),
        _ => false,
    }
}

/// Refuses a new copy that is most likely a mistake, unless the admin said
/// it is not (docs/fleet.md, "What sync refuses and why").
fn refuse_unlikely(
    old: &SyncHeader,
    state: &ListState,
    from: &str,
    args: &SyncArgs,
    file: &Path,
    locked: &LockedSource,
) -> anyhow::Result<()> {
    let kept = "nothing changed, the old table stays in place";
    if !args.force && !same_list(&old.from, from) {
        bail!(
            "{}: was copied from {}, not from {from}; {kept}. If this server should now follow \
             {from}, run `ccert sync --from {from} --to … --force` once",
            file.display(),
            old.from
        );
    }
    if !args.force && old.database != state.database_id {
        bail!(
            "{from}: the database is not the one {} was copied from (database id {}, was {}): \
             it was re-created, restored into a new `ccert db init`, or the .cf now points at \
             another database; {kept}. Check with `ccert --map {from} list`; if this database \
             is the right one, run `ccert sync --from {from} --to … --force` once",
            file.display(),
            state.database_id,
            old.database
        );
    }
    let copied = match old.entries {
        Some(n) => n,
        // A copy from an older ccert: count its entries (streamed).
        None => count_entries(locked)?,
    };
    // A removal of most of the list that ccert made after this copy (and
    // recorded with it) is the admin's intent: what follows is judged from
    // the entries it left, so a later emptying is still refused.
    let before = match deliberate_since(old, state) {
        Some(shrink) => copied.min(shrink.entries),
        None => copied,
    };
    // The generation moved on since the copy: edits recorded by the
    // triggers, such as `ccert remove`, explain a small shrink.
    let recorded = old.database == state.database_id && state.generation > old.generation;
    let removed = before.saturating_sub(state.entries);
    if !args.force && !args.allow_shrink && shrink_refused(before, state.entries, recorded) {
        bail!(
            "{from}: the list has {} entries, {} has {before}: this sync would remove {removed} \
             (more than half); {kept}. An emptied or re-created database, or row-level security \
             hiding rows from the .cf's user, look like this. Check with `ccert --map {from} \
             list`; if the removal is intended, run `ccert sync --from {from} --to … \
             --allow-shrink` once",
            state.entries,
            file.display()
        );
    }
    Ok(())
}

/// The deliberate shrink recorded in `state` ([`ListState::deliberate_shrink`])
/// when it was made in the copy's database after the copy and is part of
/// the history `state` continues (its generation not beyond the current
/// one: a restored dump carries an older state row and an older record).
fn deliberate_since(old: &SyncHeader, state: &ListState) -> Option<DeliberateShrink> {
    state.deliberate_shrink.filter(|shrink| {
        old.database == state.database_id
            && shrink.generation > old.generation
            && shrink.generation <= state.generation
    })
}

/// Removals up to this many are a revocation, not an accident, when the
/// generation shows they were recorded (see [`shrink_refused`]).
const SMALL_SHRINK: u64 = 10;

/// Whether going from `before` entries to `after` looks like a mistake
/// rather than a change: more than half of the entries gone, unless they
/// are few (at most [`SMALL_SHRINK`]) and the triggers `recorded` edits
/// since the copy. So `ccert remove` of the last client of a small list
/// reaches every sync server, while a role that row-level security shows
/// nothing, a restore of an older dump or a mass `DELETE` is refused at
/// any size.
fn shrink_refused(before: u64, after: u64, recorded: bool) -> bool {
    let removed = before.saturating_sub(after);
    removed * 2 > before && !(recorded && removed <= SMALL_SHRINK)
}

/// The entries of the old FILE.
fn count_entries(locked: &LockedSource) -> Result<u64, SourceError> {
    let mut n = 0;
    for item in locked.records()? {
        if let Item::Record(_) = item.map_err(|e| locked.io_err(e))? {
            n += 1;
        }
    }
    Ok(n)
}

/// Writes `e` with ccert's comment line above it; `false` when its name
/// cannot be written to a source file (skipped with a warning).
fn write_entry(w: &mut impl Write, e: &StoredEntry) -> std::io::Result<bool> {
    if crate::source::check_value(e.name.as_bytes()).is_err()
        || e.fingerprint.contains(char::is_whitespace)
    {
        tell!(
            "ccert: warning: {}: the name {:?} cannot be written to a source file; skipped",
            e.fingerprint,
            e.name
        );
        return Ok(false);
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
        ..Annotation::default()
    };
    writeln!(w, "{}", note.to_line())?;
    writeln!(w, "{} {}", e.fingerprint, e.name)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_shrink_recorded_after_the_copy_is_deliberate() {
        let old = SyncHeader::parse(
            "# ccert sync: database=db1 generation=10 entries=100 digest=x from=pgsql:/a.cf",
        )
        .unwrap();
        let state = |database: &str, generation, shrink: Option<(i64, u64)>| ListState {
            database_id: database.into(),
            generation,
            entries: 5,
            digest: "y".into(),
            deliberate_shrink: shrink.map(|(generation, entries)| DeliberateShrink {
                generation,
                entries,
            }),
        };
        let after = deliberate_since(&old, &state("db1", 12, Some((11, 5))));
        assert_eq!(after.map(|s| s.entries), Some(5));
        // Made before the copy (the copy already has it), in another
        // database, or beyond the generation (an older state row restored
        // under a newer record cannot be): not this copy's business.
        assert_eq!(
            deliberate_since(&old, &state("db1", 12, Some((10, 5)))),
            None
        );
        assert_eq!(
            deliberate_since(&old, &state("db2", 12, Some((11, 5)))),
            None
        );
        assert_eq!(
            deliberate_since(&old, &state("db1", 9, Some((11, 5)))),
            None
        );
        assert_eq!(deliberate_since(&old, &state("db1", 12, None)), None);
    }

    #[test]
    fn a_shrink_is_refused_unless_small_and_recorded() {
        // Half or fewer removed: an ordinary sync, recorded or not.
        assert!(!shrink_refused(100, 50, false));
        assert!(!shrink_refused(2, 1, false));
        assert!(!shrink_refused(0, 0, false));
        // Growing never is a shrink.
        assert!(!shrink_refused(3, 300, false));
        // More than half: refused when the generation did not move (row-level
        // security, a restore, triggers off), whatever the size.
        assert!(shrink_refused(1, 0, false));
        assert!(shrink_refused(3, 1, false));
        assert!(shrink_refused(3007, 0, false));
        // ccert remove of the last clients of a small list: recorded, passes.
        assert!(!shrink_refused(1, 0, true));
        assert!(!shrink_refused(10, 0, true));
        // A recorded mass removal still needs --allow-shrink.
        assert!(shrink_refused(11, 0, true));
        assert!(shrink_refused(100_011, 0, true));
    }
}

//! `ccert prune`: retires finished rotations and, with `--expired`,
//! expired certificates (see [`crate::lifecycle`]), then rebuilds the
//! tables once.

use std::collections::{HashMap, HashSet};

use anyhow::{Context as _, bail};
use time::{OffsetDateTime, UtcOffset};

use crate::cert::Fingerprint;
use crate::certstore::CertStore;
use crate::cli::PruneArgs;
use crate::lifecycle::{self, Retire};
use crate::maillog::{self, Collector, LogError};
use crate::source::Record;
use crate::source::annotation::Annotation;
use crate::source::edit;
use crate::source::locked::LockedSource;
use crate::text::terminal_safe_bytes;

use super::{Context, Outcome, rebuild_then_unlock};

/// Entries without a known expiry named one by one; the rest are counted.
const SHOWN_UNKNOWN: usize = 20;

/// Runs `ccert prune`.
pub fn run(args: &PruneArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if let Some(map) = ctx.store_map()? {
        return prune_store(args, &map);
    }
    let path = ctx.source_path()?;
    let list = path.display().to_string();
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    let open = || LockedSource::open(&path, false);
    // Rotations first: the mail log is read only when one is still running,
    // and without holding the source's lock (the journal can take a while).
    let running: Vec<Fingerprint> = lifecycle::rotations(&open()?)?
        .iter()
        .filter(|r| !r.overlap_over(today))
        .map(|r| r.successor.clone())
        .collect();
    let seen = if running.is_empty() {
        HashSet::new()
    } else {
        seen_in_log(args, ctx, &running, now)?
    };
    // Decided again under the lock: a rotation changed meanwhile (its new
    // entry removed) retires nothing.
    let mut locked = open()?;
    let rotations = lifecycle::rotations(&locked)?;
    let retire = lifecycle::finished(&rotations, &seen, today);
    for r in &rotations {
        if !retire.contains_key(&r.predecessor) {
            tell!(
                "ccert: {list}, line {}: rotation of {} still running: its new fingerprint is \
                 not in the mail log yet{}",
                r.successor_line,
                r.predecessor,
                r.until
                    .map(|u| format!("; both relay through {u}"))
                    .unwrap_or_default()
            );
        }
    }

    // One streamed pass picks the entries that go.
    let store = CertStore::for_source(&path);
    let mut index = args
        .expired
        .then(|| store.index(&mut |warning| tell!("ccert: warning: {}", warning)));
    let mut reasons: HashMap<usize, Retire> = HashMap::new();
    let mut unknown: Vec<(usize, String)> = Vec::new();
    let mut unknown_count = 0usize;
    let mut lookup_error = None;
    let mut select = |record: &Record, note: Option<&Annotation>| {
        let Some(fp) = std::str::from_utf8(&record.key)
            .ok()
            .and_then(Fingerprint::parse)
        else {
            return false;
        };
        if let Some(reason) = retire.get(&fp) {
            reasons.insert(record.line, reason.clone());
            return true;
        }
        let Some(index) = index.as_mut() else {
            return false;
        };
        // The stored certificate decides; ccert's comment when none is stored.
        let stored = match index.find(&fp) {
            Ok(found) => found.map(|c| c.not_after),
            Err(e) => {
                lookup_error.get_or_insert(e);
                None
            }
        };
        match stored.flatten().or(note.and_then(|n| n.not_after)) {
            Some(not_after) if not_after < now => {
                reasons.insert(record.line, Retire::Expired { not_after });
                true
            }
            Some(_) => false,
            None => {
                unknown_count += 1;
                if unknown.len() < SHOWN_UNKNOWN {
                    unknown.push((
                        record.line,
                        format!(
                            "{} {}",
                            terminal_safe_bytes(&record.key),
                            terminal_safe_bytes(&record.value)
                        ),
                    ));
                }
                false
            }
        }
    };
    let plan = edit::plan(&locked, &[], false, Some(&mut select))?;
    if let Some(e) = lookup_error {
        return Err(e).with_context(|| {
            format!(
                "reading the stored certificates in {}",
                store.dir().display()
            )
        });
    }
    if unknown_count > 0 {
        tell!(
            "ccert: {list}: {unknown_count} entr{} without a known expiry (added by fingerprint, \
             no stored certificate) kept:",
            if unknown_count == 1 { "y" } else { "ies" }
        );
        for (line, text) in &unknown {
            tell!("  line {line}: {text}");
        }
        if unknown_count > unknown.len() {
            tell!("  … and {} more", unknown_count - unknown.len());
        }
    }
    let matching = &plan.removed;
    if matching.is_empty() {
        say!(
            "nothing to prune in {list}{}",
            if args.expired {
                ""
            } else {
                " (--expired also removes expired certificates)"
            }
        );
        return Ok(Outcome::Success);
    }
    let count = matching.len();
    let entries = if count == 1 { "entry" } else { "entries" };
    tell!("ccert: {count} {entries} in {list} to remove:");
    for r in matching {
        tell!(
            "  line {}: {} {}: {}",
            r.line,
            terminal_safe_bytes(&r.key),
            terminal_safe_bytes(&r.value),
            reasons
                .get(&r.line)
                .map(ToString::to_string)
                .unwrap_or_default()
        );
    }
    if args.dry_run {
        say!("would remove {count} {entries} from {list} (dry run: nothing changed)");
        return Ok(Outcome::Success);
    }
    if !args.yes {
        let Some(answer) = super::ask_removal(count) else {
            bail!(
                "{list}: refusing to remove without confirmation: standard input is not a \
                 terminal; pass --yes to remove these entries (--dry-run only shows them)"
            );
        };
        if !answer.context("asking for confirmation")? {
            tell!("ccert: nothing removed");
            return Ok(Outcome::Failure);
        }
    }
    plan.commit(&mut locked)?;
    super::prune_store_copies(&locked, &path)?;
    say!("removed {count} {entries} from {list}");
    rebuild_then_unlock(locked, !args.no_compile, &path, ctx)?;
    Ok(Outcome::Success)
}

/// Which of `wanted` (running rotations' new fingerprints) the mail log
/// shows in use: the files of `--log`, else the log `ccert log` reads. No
/// log at all is a notice (the rotations then end with their overlap); a
/// log that cannot be read is an error.
fn seen_in_log(
    args: &PruneArgs,
    ctx: &Context,
    wanted: &[Fingerprint],
    now: OffsetDateTime,
) -> anyhow::Result<HashSet<Fingerprint>> {
    let cfg = ctx.postfix()?;
    let maillog = cfg.present.then(|| cfg.get("maillog_file")).flatten();
    let inputs = match maillog::inputs(&args.log, maillog.as_deref()) {
        Ok(inputs) => inputs,
        Err(e @ LogError::NoLog { .. }) => {
            tell!("ccert: notice: {e}; rotations end when their overlap ends");
            return Ok(HashSet::new());
        }
        Err(e) => return Err(e.into()),
    };
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let mut collector = Collector::default();
    for input in &inputs {
        maillog::read_input(input, &mut collector, None, now, offset)?;
    }
    Ok(lifecycle::seen_in_log(&collector.finish(), wanted))
}

/// `prune` on a `pgsql:` list: its expired rows (by the stored
/// certificate's notAfter, which the `not_after` column holds) go in one
/// transaction. Rotations are not recorded in a database list (`rotate`
/// works on files), so there are none to finish.
fn prune_store(args: &PruneArgs, map: &str) -> anyhow::Result<Outcome> {
    use crate::fleet::Selector;
    let mut store = super::store_edge::open(map)?;
    let shown = store.postfix_name();
    if !args.expired {
        say!(
            "nothing to prune in {shown} (rotations are not recorded in a database list; --expired removes expired certificates)"
        );
        return Ok(Outcome::Success);
    }
    let now = OffsetDateTime::now_utc();
    let entries = store.entries()?;
    let unknown: Vec<_> = entries.iter().filter(|e| e.not_after.is_none()).collect();
    if !unknown.is_empty() {
        tell!(
            "ccert: {shown}: {} entr{} without a known expiry (added by fingerprint) kept:",
            unknown.len(),
            if unknown.len() == 1 { "y" } else { "ies" }
        );
        for e in unknown.iter().take(SHOWN_UNKNOWN) {
            tell!(
                "  {} {}",
                crate::text::terminal_safe(&e.fingerprint),
                crate::text::terminal_safe(&e.name)
            );
        }
        if unknown.len() > SHOWN_UNKNOWN {
            tell!("  … and {} more", unknown.len() - SHOWN_UNKNOWN);
        }
    }
    let expired: Vec<_> = entries
        .iter()
        .filter(|e| e.not_after.is_some_and(|t| t < now))
        .collect();
    if expired.is_empty() {
        say!("nothing to prune in {shown}");
        return Ok(Outcome::Success);
    }
    let count = expired.len();
    let noun = if count == 1 { "entry" } else { "entries" };
    tell!("ccert: {count} {noun} in {shown} to remove:");
    for e in &expired {
        tell!(
            "  {} {}: expired {}",
            crate::text::terminal_safe(&e.fingerprint),
            crate::text::terminal_safe(&e.name),
            e.not_after
                .map(|t| t.date().to_string())
                .unwrap_or_default()
        );
    }
    if args.dry_run {
        say!("would remove {count} {noun} from {shown} (dry run: nothing changed)");
        return Ok(Outcome::Success);
    }
    let fingerprints: Vec<Fingerprint> = expired
        .iter()
        .filter_map(|e| Fingerprint::parse(&e.fingerprint))
        .collect();
    let mut refused = false;
    let mut changed = false;
    let mut declined = false;
    // The rows are selected again inside the transaction; only expired ones go.
    let removed = store.remove(&Selector::Fingerprints(fingerprints), &mut |matching| {
        if matching
            .iter()
            .any(|e| e.not_after.is_none_or(|t| t >= now))
        {
            // Changed since it was read (re-added with a new certificate).
            changed = true;
            return false;
        }
        if args.yes {
            return true;
        }
        match super::ask_removal(matching.len()) {
            None => {
                refused = true;
                false
            }
            Some(answer) => {
                let yes = answer.unwrap_or(false);
                declined = !yes;
                yes
            }
        }
    })?;
    if declined {
        tell!("ccert: nothing removed");
        return Ok(Outcome::Failure);
    }
    if changed {
        bail!("{shown}: the list changed while prune read it; nothing removed (run prune again)");
    }
    if refused {
        bail!(
            "{shown}: refusing to remove without confirmation: standard input is not a \
             terminal; pass --yes to remove these entries (--dry-run only shows them)"
        );
    }
    say!(
        "removed {} {} from {shown}",
        removed.len(),
        if removed.len() == 1 {
            "entry"
        } else {
            "entries"
        }
    );
    Ok(Outcome::Success)
}

//! The command-line edge of [`crate::fleet`]: add, remove, list, rehash,
//! query and dump on a database list (`pgsql:CF`, see docs/fleet.md).
//!
//! Not a subcommand. Each of those six commands starts with a short dispatch
//! here when its list is a database (add and remove first check their
//! input, then hand over what to add or remove). It is shared, like
//! `context.rs`, because commands never depend on each other; it depends on
//! no subcommand module. What a store does lives in [`crate::fleet`]; this
//! module only turns command-line arguments into store calls and the
//! results into output and exit codes.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, bail};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint};
use crate::cli::{DumpArgs, ListArgs, ListFormat, QueryArgs, RehashArgs};
use crate::fleet::{self, EntryOrder, ListStore, NewEntry, Selector};
use crate::text::terminal_safe;

use super::{Outcome, Shown, finish_output, table_layout};

/// One certificate `ccert add` checked and wants in the list.
pub(crate) struct Addition {
    /// Where it came from, for messages (a file, or `--fingerprint`).
    shown: String,
    entry: NewEntry,
}

impl Addition {
    /// The entry for `fingerprint` (of `cert`, read from `shown`, when there is
    /// one; `add --fingerprint` has none) under `name`.
    pub(crate) fn new(
        shown: String,
        fingerprint: Fingerprint,
        name: String,
        pubkey: bool,
        cert: Option<Certificate>,
    ) -> Self {
        Self {
            shown,
            entry: NewEntry::new(fingerprint, name, pubkey, cert),
        }
    }
}

/// Opens the store `map` names (the caller checked it is one).
pub(crate) fn open(map: &str) -> anyhow::Result<Box<dyn ListStore>> {
    match fleet::open(map) {
        Some(result) => {
            let mut store = result?;
            announce_waits(store.as_mut());
            Ok(store)
        }
        None => bail!("{map} is not a database list (pgsql:CF)"),
    }
}

/// On a terminal, says so when an edit has to wait for another session
/// holding the list (it waits up to lock_timeout, then gives up).
pub(crate) fn announce_waits(store: &mut dyn ListStore) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let name = store.postfix_name();
    store.on_wait(Box::new(move || {
        tell!(
            "ccert: waiting for another edit of {name} to finish (up to {} unless PGOPTIONS \
             sets lock_timeout)…",
            fleet::pgsql::connect::LOCK_TIMEOUT
        )
    }));
}

/// `ccert add` on a database list: one transaction for all certificates,
/// with the outcomes and messages of a source file (the same engine rule).
pub(crate) fn add(map: &str, additions: Vec<Addition>, replace: bool) -> anyhow::Result<Outcome> {
    let entries: Vec<NewEntry> = additions.iter().map(|a| a.entry.clone()).collect();
    let mut store = open(map)?;
    let outcomes = store.add(&entries, replace)?;
    let list = store.postfix_name();
    let shown: Vec<Shown<'_>> = additions
        .iter()
        .map(|a| Shown {
            fingerprint: &a.entry.fingerprint,
            name: &a.entry.name,
            from: (a.shown != "--fingerprint").then_some(a.shown.as_str()),
        })
        .collect();
    super::say_before_commit(&outcomes, &shown, &list, true)?;
    super::say_after_commit(&outcomes, &shown, &list);
    Ok(Outcome::Success)
}

/// `ccert remove` on a database list; `wanted` describes the selection,
/// `yes` skips the confirmation.
pub(crate) fn remove(
    map: &str,
    selector: &Selector,
    wanted: &str,
    yes: bool,
) -> anyhow::Result<Outcome> {
    let mut store = open(map)?;
    let shown = store.postfix_name();
    let mut declined = false;
    let mut not_confirmed = None;
    let removed = store.remove(selector, &mut |matching| {
        tell!(
            "ccert: {} entr{} in {shown} match{} {wanted}:",
            matching.len(),
            if matching.len() == 1 { "y" } else { "ies" },
            if matching.len() == 1 { "es" } else { "" },
        );
        for e in matching {
            tell!(
                "  {} {}",
                terminal_safe(&e.fingerprint),
                terminal_safe(&e.name)
            );
        }
        if yes {
            return true;
        }
        let Some(answer) = super::ask_removal(matching.len()) else {
            not_confirmed = Some(());
            return false;
        };
        let confirmed = answer.unwrap_or(false);
        declined = !confirmed;
        confirmed
    })?;
    if not_confirmed.is_some() {
        bail!(
            "{shown}: refusing to remove without confirmation: standard input is not a \
             terminal; pass --yes to remove these entries"
        );
    }
    if declined {
        tell!("ccert: nothing removed");
        return Ok(Outcome::Failure);
    }
    if removed.is_empty() {
        bail!("{shown}: no entry matches {wanted}; nothing removed (see `ccert list`)");
    }
    say!(
        "removed {} entr{} from {shown}",
        removed.len(),
        if removed.len() == 1 { "y" } else { "ies" }
    );
    Ok(Outcome::Success)
}

/// One entry as `list --format json` writes it for a database list.
#[derive(Serialize)]
struct JsonEntry<'a> {
    fingerprint: &'a str,
    name: &'a str,
    digest: Option<&'static str>,
    pubkey: Option<bool>,
    not_after: Option<String>,
    subject: Option<&'a str>,
    certificate_stored: bool,
    added_by: Option<&'a str>,
    added_at: Option<String>,
}

/// `ccert list` on a database list.
pub(crate) fn list(args: &ListArgs, map: &str) -> anyhow::Result<Outcome> {
    let mut store = open(map)?;
    let cutoff = args
        .expiring
        .map(|days| OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)));
    let wanted = |e: &fleet::StoredEntry| cutoff.is_none_or(|c| e.expires_by(c));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.format == ListFormat::Plain {
        // Streamed: memory stays small whatever the list's size.
        let (mut shown, mut written) = (0u64, Ok(()));
        store.each_entry(EntryOrder::Name, &mut |e| {
            if !wanted(&e) {
                return true;
            }
            shown += 1;
            written = writeln!(out, "{} {}", e.fingerprint, e.name);
            written.is_ok()
        })?;
        finish_output(written.and_then(|()| out.flush()))?;
        return Ok(if args.expiring.is_some() && shown > 0 {
            Outcome::Failure
        } else {
            Outcome::Success
        });
    }
    let text = |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok());
    let mut shown = 0u64;
    let written = match args.format {
        ListFormat::Plain => unreachable!("streamed above"),
        ListFormat::Json => {
            // A streamed array, one element per row as it arrives.
            use serde::ser::{SerializeSeq as _, Serializer as _};
            let mut serializer = serde_json::Serializer::pretty(&mut out);
            let mut seq = serializer
                .serialize_seq(None)
                .map_err(std::io::Error::other)?;
            let mut written = Ok(());
            store.each_entry(EntryOrder::Name, &mut |e| {
                if !wanted(&e) {
                    return true;
                }
                shown += 1;
                written = seq
                    .serialize_element(&JsonEntry {
                        fingerprint: &e.fingerprint,
                        name: &e.name,
                        digest: e.digest.map(DigestAlgorithm::name),
                        pubkey: e.pubkey,
                        not_after: text(e.not_after),
                        subject: e.subject.as_deref(),
                        certificate_stored: e.certificate.is_some(),
                        added_by: e.added_by.as_deref(),
                        added_at: text(e.added_at),
                    })
                    .map_err(std::io::Error::other);
                written.is_ok()
            })?;
            written
                .and_then(|()| seq.end().map_err(std::io::Error::other))
                .and_then(|()| writeln!(out))
        }
        ListFormat::Table => {
            let (count, written) = table(store.as_mut(), &wanted, &mut out)?;
            shown = count;
            written
        }
    };
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(if args.expiring.is_some() && shown > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// The columns of a database list's table.
const TABLE_HEADER: [&str; 5] = ["FINGERPRINT", "NAME", "DIGEST", "NOT AFTER", "ADDED BY"];

/// `list`'s table of a database list, fitted to the terminal as a file
/// list's is. Up to [`table_layout::STREAM_ROWS_FROM`] rows are laid out
/// whole from one pass; a longer list is read twice: a first pass measures
/// the widest FINGERPRINT, DIGEST and NOT AFTER cells (keeping only the
/// first rows), the second prints chunks of rows with those fixed widths,
/// so memory stays that of one chunk whatever the list's size. Returns the
/// rows shown and how writing went.
fn table(
    store: &mut dyn ListStore,
    wanted: &dyn Fn(&fleet::StoredEntry) -> bool,
    out: &mut impl std::io::Write,
) -> anyhow::Result<(u64, std::io::Result<()>)> {
    let width = table_layout::width();
    let full = width >= table_layout::FULL_FINGERPRINTS_FROM;
    let limit = table_layout::STREAM_ROWS_FROM;
    let mut first: Vec<[String; 5]> = Vec::new();
    let mut widths = TABLE_HEADER.map(|h| h.chars().count());
    let mut count = 0u64;
    store.each_entry(EntryOrder::Name, &mut |e| {
        if !wanted(&e) {
            return true;
        }
        count += 1;
        let row = row(&e, full);
        for i in [0, 2, 3] {
            widths[i] = widths[i].max(row[i].chars().count());
        }
        if first.len() <= limit {
            first.push(row);
        }
        true
    })?;
    if first.len() <= limit {
        let mut table = comfy_table::Table::new();
        table
            .load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
            .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
            .set_width(width)
            .set_header(TABLE_HEADER);
        for row in first {
            table.add_row(row);
        }
        // FINGERPRINT, DIGEST and NOT AFTER never wrap; NAME and ADDED
        // BY take what is left.
        for index in [0, 2, 3] {
            if let Some(column) = table.column_mut(index) {
                column.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
        }
        return Ok((count, writeln!(out, "{table}")));
    }
    drop(first);
    let widths = table_layout::fixed_widths(widths, [1, 4], width);
    let mut chunk = Vec::with_capacity(limit);
    let mut index = 0;
    let mut shown = 0u64;
    let mut written = Ok(());
    store.each_entry(EntryOrder::Name, &mut |e| {
        if !wanted(&e) {
            return true;
        }
        chunk.push(row(&e, full));
        if chunk.len() == limit {
            shown += chunk.len() as u64;
            written = table_layout::write_chunk(out, &TABLE_HEADER, &chunk, &widths, width, index);
            chunk.clear();
            index += 1;
        }
        written.is_ok()
    })?;
    if written.is_ok() && (!chunk.is_empty() || index == 0) {
        shown += chunk.len() as u64;
        written = table_layout::write_chunk(out, &TABLE_HEADER, &chunk, &widths, width, index);
    }
    Ok((shown, written))
}

/// One row of a database list's table.
fn row(e: &fleet::StoredEntry, full: bool) -> [String; 5] {
    [
        {
            // Escaped first: a row written by hand may hold anything.
            let key = table_layout::cell(e.fingerprint.as_bytes());
            if full || !key.is_ascii() {
                key
            } else {
                table_layout::shorten(&key)
            }
        },
        table_layout::cell(e.name.as_bytes()),
        match (e.digest, e.pubkey) {
            (Some(d), Some(true)) => format!("{d} (pubkey)"),
            (Some(d), _) => d.to_string(),
            (None, _) => "-".into(),
        },
        // The day, as a file list's table shows it (json: the time).
        e.not_after
            .map_or_else(|| "-".into(), |t| t.date().to_string()),
        e.added_by
            .as_deref()
            .map_or_else(|| "-".into(), |by| table_layout::cell(by.as_bytes())),
    ]
}

/// `ccert rehash` on a database list.
pub(crate) fn rehash(args: &RehashArgs, map: &str) -> anyhow::Result<Outcome> {
    let digest: DigestAlgorithm = args.digest.context("--digest is required")?;
    let mut store = open(map)?;
    let report = store.rehash(digest, args.pubkey)?;
    let kind = if args.pubkey {
        "public-key"
    } else {
        "certificate"
    };
    say!(
        "rewrote {} of {} entries in {} to {digest} {kind} fingerprints",
        report.changed,
        report.total,
        store.postfix_name()
    );
    say!("note: every Postfix server reading it must use smtpd_tls_fingerprint_digest = {digest}");
    Ok(Outcome::Success)
}

/// `ccert query` on a database list: ccert's own parameterised query.
pub(crate) fn query(args: &QueryArgs) -> anyhow::Result<Outcome> {
    let mut store = open(&args.table)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut found = false;
    if args.key == "-" {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("reading keys from standard input")?;
            if let Some(value) = store.query(&line)? {
                found = true;
                if writeln!(out, "{line}\t{value}").is_err() {
                    break;
                }
            }
        }
    } else if let Some(value) = store.query(&args.key)? {
        found = true;
        finish_output(writeln!(out, "{value}"))?;
    }
    finish_output(out.flush())?;
    Ok(if found {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// `ccert dump` on a database list.
pub(crate) fn dump(args: &DumpArgs) -> anyhow::Result<Outcome> {
    let mut store = open(&args.table)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Streamed: memory stays small whatever the list's size.
    let mut written = Ok(());
    store.each_entry(EntryOrder::Fingerprint, &mut |e| {
        written = writeln!(out, "{}\t{}", e.fingerprint, e.name);
        written.is_ok()
    })?;
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(Outcome::Success)
}

//! The one edit engine: every command that adds, renames or removes entries
//! of a source file (`add CERT`, `add --fingerprint`, `log --approve`,
//! `remove`, `apply`) plans its change here and applies it here.
//!
//! * [`plan`] reads the locked source once, streamed (memory grows with the
//!   entries asked for, not with the file), and decides, for each wanted
//!   entry, a typed [`Outcome`] by one rule ([`decide`]), and which records
//!   go. Nothing is written while planning, so a refused edit (another name
//!   without `replace`, a bad name) changes nothing.
//! * [`Plan::commit`] writes the change by one streamed copy of the source
//!   into its atomic replacement: removals (each with ccert's comment right
//!   above it, when that comment describes it), renames in place, new
//!   entries appended with ccert's comment line.
//!
//! The rules are postmap's: the first of duplicate (case-folded) keys is the
//! one Postfix finds, so that one decides; the same name is nothing to do;
//! another name is refused unless the caller asked to replace it. A `pgsql:`
//! list follows the same rule ([`decide`]) and reports the same outcomes
//! (`crate::fleet::ListStore::add`).
//!
//! The in-memory editor ([`super::upsert`] on a [`super::SourceFile`]) is
//! the test oracle: property tests compare its bytes with this engine's.

use std::collections::HashMap;
use std::io::{self, Read};
use std::ops::Range;

use super::annotation::Annotation;
use super::copy::LineEdit;
use super::locked::{LockedSource, SourceError};
use super::{CommentsAbove, Item, Record, check_value};
use crate::cert::Fingerprint;
use crate::cert::name::terminal_safe;

/// One entry wanted in the list: its key, its name (already checked with
/// [`check_value`]) and the comment line that goes above it when it is new.
#[derive(Debug, Clone)]
pub struct Put {
    /// The key.
    pub fingerprint: Fingerprint,
    /// The value.
    pub name: String,
    /// ccert's comment for a new entry.
    pub annotation: Annotation,
}

/// What an edit does (or, refused, would do) with one wanted entry. `line`
/// is the entry's 1-based line in the source as read, `None` for an entry
/// added earlier in the same edit (or a database row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Appended, with ccert's comment line.
    Added,
    /// Already there under this name: nothing to do.
    Unchanged {
        /// The entry's line.
        line: Option<usize>,
    },
    /// Renamed in place from `old` (only when replacing was asked for).
    Renamed {
        /// The entry's line.
        line: Option<usize>,
        /// The previous name.
        old: String,
    },
    /// There under another name and replacing was not asked for: the edit
    /// is refused and nothing changes.
    OtherName {
        /// The entry's line.
        line: Option<usize>,
        /// Its current name.
        existing: String,
    },
}

/// The rule every list shares: what putting `name` does to a key that has
/// `existing` (its line and name) or nothing yet.
pub fn decide(existing: Option<(Option<usize>, &[u8])>, name: &str, replace: bool) -> Outcome {
    let Some((line, value)) = existing else {
        return Outcome::Added;
    };
    if value == name.as_bytes() {
        return Outcome::Unchanged { line };
    }
    let old = String::from_utf8_lossy(value).into_owned();
    if replace {
        Outcome::Renamed { line, old }
    } else {
        Outcome::OtherName {
            line,
            existing: old,
        }
    }
}

/// How a command shows an [`Outcome`]: a change (standard output), a notice
/// (standard error), or the refusal (the error of the whole edit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A change that was made.
    Done(String),
    /// Nothing to do, said on standard error.
    Notice(String),
    /// Why the edit was refused; nothing changed.
    Refused(String),
}

impl Outcome {
    /// Whether this outcome changes the list.
    pub fn changes(&self) -> bool {
        matches!(self, Self::Added | Self::Renamed { .. })
    }

    /// The message for this outcome of putting `fingerprint name` into
    /// `list` (a path or `pgsql:CF`); `from` names where the entry came from
    /// (a certificate file) when the command says so, and `replace_hint`
    /// whether the command has `--replace` to offer. Each fact is worded
    /// here once for every command and every kind of list.
    pub fn message(
        &self,
        fingerprint: &Fingerprint,
        name: &str,
        list: &str,
        from: Option<&str>,
        replace_hint: bool,
    ) -> Message {
        let at_line = |line: &Option<usize>| match line {
            Some(n) => format!(" (line {n})"),
            None => String::new(),
        };
        match self {
            Self::Added => Message::Done(format!(
                "added {fingerprint} {} to {list}",
                terminal_safe(name)
            )),
            Self::Unchanged { line } => Message::Notice(format!(
                "ccert: notice: {}{fingerprint} is already in {list}{} as {name:?}; nothing to do",
                from.map(|f| format!("{f}: ")).unwrap_or_default(),
                at_line(line)
            )),
            Self::Renamed { line, old } => Message::Done(format!(
                "renamed {fingerprint} from {old:?} to {name:?} in {list}{}",
                at_line(line)
            )),
            Self::OtherName { line, existing } => Message::Refused(format!(
                "{list}{}: {fingerprint} is already present with the name {existing:?}, not \
                 {name:?}; nothing changed{}",
                line.map(|n| format!(":{n}")).unwrap_or_default(),
                if replace_hint {
                    " (use --replace to rename it)"
                } else {
                    ""
                }
            )),
        }
    }
}

/// Which records an edit removes: asked for each record with ccert's
/// comment right above it when that comment describes the record (the mark
/// of an entry ccert wrote).
pub type RemoveWhen<'a> = &'a mut dyn FnMut(&Record, Option<&Annotation>) -> bool;

/// The change to a source, decided before anything is written.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// One outcome per wanted entry, in the order given.
    pub outcomes: Vec<Outcome>,
    /// The records that go, in file order.
    pub removed: Vec<Record>,
    /// New entries: ccert's comment line and the entry line.
    appended: Vec<(String, String)>,
    /// Records renamed in place: their lines and new name.
    renames: Vec<(Range<usize>, Vec<u8>)>,
}

/// Where an entry a wanted key matches is.
enum Place {
    /// In the source: the record's lines.
    Source(Range<usize>),
    /// Appended by this edit: the index in [`Plan::appended`].
    Appended(usize),
}

/// The entry a wanted key found: the first record with that (folded) key
/// that stays, or an entry added earlier in this edit.
struct Existing {
    line: Option<usize>,
    value: Vec<u8>,
    place: Place,
}

/// Wanted keys up to which a byte search for their text is tried before
/// parsing (it settles "none of them is there" at a fraction of the cost).
const RAW_SCAN_KEYS: usize = 8;

/// Plans putting `puts` into the locked source (renaming with `replace`)
/// and removing the records `remove` selects, in one streamed read.
pub fn plan(
    locked: &LockedSource,
    puts: &[Put],
    replace: bool,
    remove: Option<RemoveWhen<'_>>,
) -> Result<Plan, SourceError> {
    let keys: Vec<Vec<u8>> = puts.iter().map(|p| folded_key(&p.fingerprint)).collect();
    let mut wanted: Vec<&Vec<u8>> = keys.iter().collect();
    wanted.sort_unstable();
    wanted.dedup();
    // A key whose text appears nowhere in the source, in any case, is in no
    // record: when nothing is to be removed, a byte search settles that
    // for a few keys without parsing.
    let skip_reading = remove.is_none()
        && (wanted.is_empty()
            || (wanted.len() <= RAW_SCAN_KEYS
                && !mentions_any(locked.bytes()?, &wanted).map_err(|e| locked.io_err(e))?));
    let records = if skip_reading {
        None
    } else {
        let reader = locked.records()?;
        Some(if remove.is_some() {
            reader.with_comments()
        } else {
            reader
        })
    };
    let found = find(records.into_iter().flatten(), &keys, remove).map_err(|e| locked.io_err(e))?;
    Ok(decide_all(puts, &keys, found, replace))
}

/// [`plan`] for a source that does not exist yet (`apply --check` before
/// the first run): every wanted entry is new.
pub fn plan_empty(puts: &[Put], replace: bool) -> Plan {
    let keys: Vec<Vec<u8>> = puts.iter().map(|p| folded_key(&p.fingerprint)).collect();
    let found = Found {
        existing: HashMap::new(),
        removed: Vec::new(),
    };
    decide_all(puts, &keys, found, replace)
}

/// What one streamed read of the records found: the first staying record
/// of each wanted key, and the records to remove.
struct Found {
    existing: HashMap<Vec<u8>, Existing>,
    removed: Vec<Record>,
}

fn find(
    items: impl Iterator<Item = io::Result<Item>>,
    keys: &[Vec<u8>],
    mut remove: Option<RemoveWhen<'_>>,
) -> io::Result<Found> {
    let mut existing: HashMap<Vec<u8>, Existing> = HashMap::new();
    let mut removed = Vec::new();
    // Most records are none of the wanted keys: their first 8 folded bytes,
    // compared without allocating, rule them out before the hash lookup.
    let mut prefixes: Vec<u64> = keys.iter().map(|k| folded_prefix(k)).collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    let wanted: std::collections::HashSet<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let mut comments = CommentsAbove::default();
    let mut folded = Vec::new();
    for item in items {
        let record = match item? {
            Item::Record(record) => record,
            Item::Comment(index, text) => {
                comments.note(index, text);
                continue;
            }
            Item::Problem(_) => continue,
        };
        if let Some(remove) = remove.as_mut() {
            let above = comments
                .above(record.lines.start)
                .and_then(|line| Annotation::parse(&line))
                .filter(|a| a.describes(&record.key));
            if remove(&record, above.as_ref()) {
                removed.push(record);
                continue;
            }
        }
        if prefixes.binary_search(&folded_prefix(&record.key)).is_err() {
            continue;
        }
        folded.clear();
        folded.extend(record.key.iter().map(u8::to_ascii_lowercase));
        if wanted.contains(folded.as_slice()) && !existing.contains_key(folded.as_slice()) {
            existing.insert(
                folded.clone(),
                Existing {
                    line: Some(record.line),
                    value: record.value,
                    place: Place::Source(record.lines),
                },
            );
        }
    }
    Ok(Found { existing, removed })
}

/// Decides each wanted entry in order; later ones see what earlier ones did.
fn decide_all(puts: &[Put], keys: &[Vec<u8>], found: Found, replace: bool) -> Plan {
    let Found {
        mut existing,
        removed,
    } = found;
    let mut plan = Plan {
        removed,
        ..Plan::default()
    };
    for (p, key) in puts.iter().zip(keys) {
        let slot = existing.get(key);
        let outcome = decide(slot.map(|e| (e.line, e.value.as_slice())), &p.name, replace);
        match &outcome {
            Outcome::Added => {
                existing.insert(
                    key.clone(),
                    Existing {
                        line: None,
                        value: p.name.clone().into_bytes(),
                        place: Place::Appended(plan.appended.len()),
                    },
                );
                plan.appended.push((
                    p.annotation.to_line(),
                    format!("{} {}", p.fingerprint, p.name),
                ));
            }
            Outcome::Renamed { .. } => {
                let e = existing.get_mut(key).expect("a rename has an entry");
                match &e.place {
                    Place::Source(lines) => {
                        plan.renames
                            .push((lines.clone(), p.name.clone().into_bytes()));
                    }
                    Place::Appended(i) => {
                        plan.appended[*i].1 = format!("{} {}", p.fingerprint, p.name);
                    }
                }
                e.value = p.name.clone().into_bytes();
            }
            Outcome::Unchanged { .. } | Outcome::OtherName { .. } => {}
        }
        plan.outcomes.push(outcome);
    }
    // The last rename of a record wins: put it first for `dedup`.
    plan.renames.reverse();
    plan.renames.sort_by_key(|(lines, _)| lines.start);
    plan.renames.dedup_by_key(|(lines, _)| lines.start);
    plan
}

impl Plan {
    /// The first refused entry (index into the wanted entries and its
    /// outcome), if any: then the edit must not be committed.
    pub fn refused(&self) -> Option<(usize, &Outcome)> {
        self.outcomes
            .iter()
            .enumerate()
            .find(|(_, o)| matches!(o, Outcome::OtherName { .. }))
    }

    /// Whether committing changes the source.
    pub fn changes(&self) -> bool {
        !self.appended.is_empty() || !self.renames.is_empty() || !self.removed.is_empty()
    }

    /// The lines appended (comment and entry, without line endings).
    pub fn appended_lines(&self) -> impl Iterator<Item = &str> {
        self.appended
            .iter()
            .flat_map(|(note, entry)| [note.as_str(), entry.as_str()])
    }

    /// Writes the change into the locked source atomically, by one streamed
    /// copy; returns whether anything changed. Refuses (writing nothing) a
    /// plan with a refused entry.
    pub fn commit(&self, locked: &mut LockedSource) -> Result<bool, CommitError> {
        if let Some((index, _)) = self.refused() {
            return Err(CommitError::Refused { index });
        }
        let lines: Vec<&str> = self.appended_lines().collect();
        if self.renames.is_empty() && self.removed.is_empty() {
            locked.commit_append(lines)?;
            return Ok(!self.appended.is_empty());
        }
        for (_, name) in &self.renames {
            check_value(name).map_err(|source| CommitError::Value {
                path: locked.path().to_path_buf(),
                source,
            })?;
        }
        let mut edits: Vec<(Range<usize>, LineEdit)> = self
            .renames
            .iter()
            .map(|(lines, name)| (lines.clone(), LineEdit::Rename(name.clone())))
            .chain(
                self.removed
                    .iter()
                    .map(|r| (r.lines.clone(), LineEdit::Remove)),
            )
            .collect();
        edits.sort_by_key(|(lines, _)| lines.start);
        let keys: Vec<Option<&[u8]>> = edits
            .iter()
            .map(|(lines, _)| {
                self.removed
                    .iter()
                    .find(|r| r.lines.start == lines.start)
                    .map(|r| r.key.as_slice())
            })
            .collect();
        locked.commit_edited(&edits, lines, |i, above| {
            keys[i].is_some_and(|key| Annotation::parse(above).is_some_and(|a| a.describes(key)))
        })?;
        Ok(true)
    }
}

impl Plan {
    /// The source lines the plan changes, in file order, as a diff for
    /// people: a `@@ line N @@` header per edit, `-` for lines that go
    /// (a removed entry with ccert's comment describing it), `-` and `+`
    /// for a renamed entry, then `@@ end @@` and `+` for the lines appended.
    /// Lines are made terminal-safe. Reads the source once more, holding
    /// only the changed lines (`None`: a source that does not exist yet).
    pub fn diff(&self, locked: Option<&LockedSource>) -> Result<String, SourceError> {
        let mut wanted: Vec<usize> = Vec::new();
        for r in &self.removed {
            wanted.extend(r.lines.start.saturating_sub(1)..r.lines.end);
        }
        for (lines, _) in &self.renames {
            wanted.extend(lines.clone());
        }
        wanted.sort_unstable();
        wanted.dedup();
        let mut held: HashMap<usize, Vec<u8>> = HashMap::new();
        if let Some(locked) = locked.filter(|_| !wanted.is_empty()) {
            let mut input = io::BufReader::with_capacity(1 << 16, locked.bytes()?);
            let mut line = Vec::new();
            let mut index = 0;
            let mut next = wanted.iter().peekable();
            while next.peek().is_some() {
                line.clear();
                let read = super::read_line(&mut input, &mut line, usize::MAX)
                    .map_err(|e| locked.io_err(e))?;
                if read.unwrap_or(0) == 0 {
                    break;
                }
                if next.peek() == Some(&&index) {
                    held.insert(index, std::mem::take(&mut line));
                    next.next();
                }
                index += 1;
            }
        }
        let text = |bytes: &[u8]| {
            let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            terminal_safe(&String::from_utf8_lossy(bytes)).into_owned()
        };
        let mut edits: Vec<(usize, String)> = Vec::new();
        for r in &self.removed {
            let mut out = String::new();
            let mut start = r.lines.start;
            if let Some(above) = r.lines.start.checked_sub(1).and_then(|i| held.get(&i))
                && Annotation::parse(above).is_some_and(|a| a.describes(&r.key))
            {
                start -= 1;
                out.push_str(&format!("-{}\n", text(above)));
            }
            for i in r.lines.clone() {
                out.push_str(&format!("-{}\n", text(held.get(&i).map_or(&[][..], |l| l))));
            }
            edits.push((start, format!("@@ line {} @@\n{out}", start + 1)));
        }
        for (lines, value) in &self.renames {
            let mut record = Vec::new();
            let mut out = String::new();
            for i in lines.clone() {
                let line = held.get(&i).map_or(&[][..], |l| l);
                out.push_str(&format!("-{}\n", text(line)));
                record.extend_from_slice(line);
            }
            let mut one = super::SourceFile::parse(&record);
            if one.replace_value(0..lines.len(), value).is_ok() {
                for i in 0..one.line_count() {
                    out.push_str(&format!("+{}\n", text(one.line(i))));
                }
            }
            edits.push((
                lines.start,
                format!("@@ line {} @@\n{out}", lines.start + 1),
            ));
        }
        edits.sort_by_key(|(start, _)| *start);
        let mut out: String = edits.into_iter().map(|(_, hunk)| hunk).collect();
        if !self.appended.is_empty() {
            out.push_str("@@ end @@\n");
            for line in self.appended_lines() {
                out.push_str(&format!("+{}\n", terminal_safe(line)));
            }
        }
        Ok(out)
    }
}

/// Why [`Plan::commit`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The plan has a refused entry (see [`Plan::refused`]).
    #[error("entry {index} is refused; nothing changed")]
    Refused {
        /// The wanted entry's index.
        index: usize,
    },
    /// A new name cannot be stored.
    #[error("{}: a new name cannot be stored; nothing changed", path.display())]
    Value {
        /// The source.
        path: std::path::PathBuf,
        /// What is wrong with the name.
        source: super::EditError,
    },
    /// Reading or writing the source failed.
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// The key as Postfix compares it: the fingerprint's text, lower case.
fn folded_key(fingerprint: &Fingerprint) -> Vec<u8> {
    fingerprint.to_string().to_ascii_lowercase().into_bytes()
}

/// Whether the bytes of `input` contain any of `keys` (ASCII lower case),
/// compared without regard to ASCII case.
fn mentions_any(mut input: impl Read, keys: &[&Vec<u8>]) -> io::Result<bool> {
    let finders: Vec<memchr::memmem::Finder<'_>> = keys
        .iter()
        .map(|k| memchr::memmem::Finder::new(k.as_slice()))
        .collect();
    // Each chunk starts with the previous one's last `overlap` bytes, so a
    // key split between two reads is still found.
    let overlap = keys
        .iter()
        .map(|k| k.len())
        .max()
        .unwrap_or(0)
        .saturating_sub(1);
    let mut buf = vec![0u8; (1 << 20) + overlap];
    let mut kept = 0;
    loop {
        let n = match input.read(&mut buf[kept..]) {
            Ok(0) => return Ok(false),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let filled = kept + n;
        buf[kept..filled].make_ascii_lowercase();
        if finders.iter().any(|f| f.find(&buf[..filled]).is_some()) {
            return Ok(true);
        }
        kept = overlap.min(filled);
        buf.copy_within(filled - kept..filled, 0);
    }
}

/// The first 8 bytes of `key`, ASCII-folded, as a number (zero-padded).
fn folded_prefix(key: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    for (b, k) in buf.iter_mut().zip(key) {
        *b = k.to_ascii_lowercase();
    }
    u64::from_be_bytes(buf)
}

#[cfg(test)]
mod tests;

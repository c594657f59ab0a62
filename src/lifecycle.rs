//! The life of a listed certificate over time: rotations (`ccert rotate`)
//! and what `ccert prune` retires (finished rotations, expired certificates).
//!
//! A rotation lists a client's new certificate beside the old one, so both
//! relay while the workstation switches. The new entry's ccert comment
//! records it (`replaces=OLD-FINGERPRINT until=LAST-DAY`, see
//! [`Annotation`]); the old entry's lines are never touched, so a
//! hand-written entry can be rotated too, a run killed half-way leaves
//! either both entries or only the old one, and an older ccert reads the
//! pair as two ordinary entries. The rotation is finished, and `prune`
//! retires the old entry, once the mail log shows the new fingerprint in
//! use or when the overlap has ended.

use std::collections::{HashMap, HashSet};

use time::{Date, OffsetDateTime};

use crate::cert::Fingerprint;
use crate::maillog::Sighting;
use crate::source::annotation::Annotation;
use crate::source::locked::{LockedSource, SourceError};
use crate::source::{CommentsAbove, Item, Record};

/// How long, in days, both certificates of a rotation relay when the mail
/// log never shows the new one in use: a month covers a workstation that is
/// off for holidays, and is the same order as the warning window of
/// `ccert check` (30 days).
pub const DEFAULT_OVERLAP_DAYS: u32 = 30;

/// The longest overlap `rotate --overlap` accepts (ten years): longer is
/// not a rotation but two permanent entries.
pub const MAX_OVERLAP_DAYS: u32 = 3650;

/// A rotation in progress, as the successor's comment records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The old entry's fingerprint.
    pub predecessor: Fingerprint,
    /// The new entry's fingerprint.
    pub successor: Fingerprint,
    /// The new entry's 1-based line.
    pub successor_line: usize,
    /// The last day both relay when the new one is never seen.
    pub until: Option<Date>,
}

impl Rotation {
    /// The rotation `record` (with ccert's comment `note` above it) starts,
    /// if it is a successor.
    pub fn of(record: &Record, note: Option<&Annotation>) -> Option<Self> {
        let note = note?;
        let predecessor = note.replaces.clone()?;
        let successor = std::str::from_utf8(&record.key)
            .ok()
            .and_then(Fingerprint::parse)?;
        Some(Self {
            predecessor,
            successor,
            successor_line: record.line,
            until: note.until,
        })
    }

    /// Whether the overlap has ended by `today` (the day after `until`).
    pub fn overlap_over(&self, today: Date) -> bool {
        self.until.is_some_and(|until| until < today)
    }
}

/// Why `prune` retires an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retire {
    /// A rotation's old entry whose successor the mail log shows in use.
    SuccessorSeen {
        /// The successor's line.
        successor_line: usize,
    },
    /// A rotation's old entry whose overlap has ended.
    OverlapOver {
        /// The successor's line.
        successor_line: usize,
        /// The overlap's last day.
        until: Date,
    },
    /// The certificate has expired.
    Expired {
        /// When.
        not_after: OffsetDateTime,
    },
}

impl std::fmt::Display for Retire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SuccessorSeen { successor_line } => write!(
                f,
                "rotated: its successor (line {successor_line}) is in use (mail log)"
            ),
            Self::OverlapOver {
                successor_line,
                until,
            } => write!(
                f,
                "rotated: the overlap with its successor (line {successor_line}) ended {until}"
            ),
            Self::Expired { not_after } => write!(f, "expired {}", not_after.date()),
        }
    }
}

/// Every rotation recorded in the locked source whose old entry is still
/// listed (the others are finished). One streamed read finds the
/// successors, and, only when there are any, a second one their old
/// entries: memory grows with the rotations, not with the source.
pub fn rotations(locked: &LockedSource) -> Result<Vec<Rotation>, SourceError> {
    rotations_in(|| locked.records(), |e| locked.io_err(e))
}

/// [`rotations`] of the records `open` reads (each call from the start),
/// for readers that take no lock (`doctor` only reads).
pub fn rotations_in<R: std::io::BufRead, E>(
    mut open: impl FnMut() -> Result<crate::source::RecordReader<R>, E>,
    io_err: impl Fn(std::io::Error) -> E,
) -> Result<Vec<Rotation>, E> {
    let mut found = Vec::new();
    let mut comments = CommentsAbove::default();
    for item in open()?.with_comments() {
        match item.map_err(&io_err)? {
            Item::Comment(index, text) => comments.note(index, text),
            Item::Problem(_) => {}
            Item::Record(record) => {
                let note = note_above(&mut comments, &record);
                if let Some(r) = Rotation::of(&record, note.as_ref()) {
                    found.push(r);
                }
            }
        }
    }
    if found.is_empty() {
        return Ok(found);
    }
    let wanted: HashSet<&Fingerprint> = found.iter().map(|r| &r.predecessor).collect();
    let mut present = HashSet::new();
    for item in open()? {
        if let Item::Record(record) = item.map_err(&io_err)?
            && let Some(fp) = std::str::from_utf8(&record.key)
                .ok()
                .and_then(Fingerprint::parse)
            && wanted.contains(&fp)
        {
            present.insert(fp);
        }
    }
    found.retain(|r| present.contains(&r.predecessor));
    Ok(found)
}

/// ccert's comment right above `record`, when it describes it.
pub fn note_above(comments: &mut CommentsAbove, record: &Record) -> Option<Annotation> {
    comments
        .above(record.lines.start)
        .and_then(|line| Annotation::parse(&line))
        .filter(|a| a.describes(&record.key))
}

/// The entries `name` names in the locked source: the value is `name`, or
/// (an access-table entry, whose value is an action) ccert's comment keeps
/// it as `name=`. Each with ccert's comment above it, if any.
pub fn named(
    locked: &LockedSource,
    name: &str,
) -> Result<Vec<(Record, Option<Annotation>)>, SourceError> {
    let mut out = Vec::new();
    let mut comments = CommentsAbove::default();
    for item in locked.records()?.with_comments() {
        match item.map_err(|e| locked.io_err(e))? {
            Item::Comment(index, text) => comments.note(index, text),
            Item::Problem(_) => {}
            Item::Record(record) => {
                let note = note_above(&mut comments, &record);
                let by_note = note.as_ref().and_then(|n| n.name.as_deref()) == Some(name);
                if record.value == name.as_bytes() || by_note {
                    out.push((record, note));
                }
            }
        }
    }
    Ok(out)
}

/// What retires each rotation's old entry, by its fingerprint: the
/// successor seen in use (`seen`), else the overlap's end by `today`.
/// Rotations still running are left out.
pub fn finished(
    rotations: &[Rotation],
    seen: &HashSet<Fingerprint>,
    today: Date,
) -> HashMap<Fingerprint, Retire> {
    let mut out = HashMap::new();
    for r in rotations {
        let retire = if seen.contains(&r.successor) {
            Retire::SuccessorSeen {
                successor_line: r.successor_line,
            }
        } else if let Some(until) = r.until.filter(|_| r.overlap_over(today)) {
            Retire::OverlapOver {
                successor_line: r.successor_line,
                until,
            }
        } else {
            continue;
        };
        out.entry(r.predecessor.clone()).or_insert(retire);
    }
    out
}

/// The fingerprints among `wanted` that the mail log's `sightings` show in
/// use (a certificate or public-key fingerprint, in whatever digest the
/// service logs: the digests' lengths differ, so a parsed fingerprint
/// compares only with one of its own digest).
pub fn seen_in_log(sightings: &[Sighting], wanted: &[Fingerprint]) -> HashSet<Fingerprint> {
    let wanted: HashSet<&Fingerprint> = wanted.iter().collect();
    sightings
        .iter()
        .flat_map(|s| [&s.cert_fingerprint, &s.pkey_fingerprint])
        .filter_map(|fp| fp.as_deref().and_then(Fingerprint::parse))
        .filter(|fp| wanted.contains(fp))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::DigestAlgorithm;

    fn rotation(until: Option<Date>) -> Rotation {
        Rotation {
            predecessor: Fingerprint::compute(DigestAlgorithm::Sha256, b"old"),
            successor: Fingerprint::compute(DigestAlgorithm::Sha256, b"new"),
            successor_line: 4,
            until,
        }
    }

    #[test]
    fn a_rotation_finishes_when_its_successor_is_seen_or_its_overlap_ends() {
        let today = time::macros::date!(2026 - 12 - 07);
        let running = rotation(Some(today));
        let none = HashSet::new();
        assert!(finished(std::slice::from_ref(&running), &none, today).is_empty());
        let seen: HashSet<Fingerprint> = [running.successor.clone()].into();
        assert_eq!(
            finished(std::slice::from_ref(&running), &seen, today).get(&running.predecessor),
            Some(&Retire::SuccessorSeen { successor_line: 4 })
        );
        let over = rotation(Some(time::macros::date!(2026 - 12 - 06)));
        assert!(matches!(
            finished(std::slice::from_ref(&over), &none, today).get(&over.predecessor),
            Some(Retire::OverlapOver { .. })
        ));
        // No recorded end: only the log finishes it.
        assert!(finished(&[rotation(None)], &none, today).is_empty());
    }

    #[test]
    fn the_log_shows_a_successor_in_any_case_and_either_fingerprint() {
        let r = rotation(None);
        let sighting = |cert: Option<String>, pkey: Option<String>| Sighting {
            client: "ws[192.0.2.1]".into(),
            subject_cn: "ws".into(),
            issuer_cn: "ws".into(),
            cert_fingerprint: cert,
            pkey_fingerprint: pkey,
            raw_public_key: false,
            syslog_name: "postfix".into(),
            first_seen: None,
            last_seen: None,
            connections: 1,
            rcpt_rejected: 0,
        };
        let lower = r.successor.to_string().to_ascii_lowercase();
        let seen = seen_in_log(
            &[sighting(None, Some(lower))],
            std::slice::from_ref(&r.successor),
        );
        assert!(seen.contains(&r.successor));
        let other = Fingerprint::compute(DigestAlgorithm::Sha256, b"x").to_string();
        assert!(seen_in_log(&[sighting(Some(other), None)], &[r.successor]).is_empty());
    }
}

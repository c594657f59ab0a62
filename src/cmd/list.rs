//! `ccert list`.

use std::borrow::Cow;
use std::io::{BufReader, Write as _};

use anyhow::Context as _;
use serde::{Serialize, Serializer as _};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::cli::{ListArgs, ListFormat};
use crate::maps::prepare::fold_key;
use crate::source::annotation::Annotation;
use crate::source::repeated::RepeatedKeys;
use crate::source::{CommentsAbove, Item, Record, RecordReader};

use super::{Context, Outcome, table_layout};

/// One entry as `list` shows it (and as `--format json` writes it).
#[derive(Debug, Serialize)]
struct Entry {
    /// The key as written (postmap folds it to lower case when compiling).
    #[serde(rename = "fingerprint", serialize_with = "lossy")]
    key: Vec<u8>,
    /// The client's name: the value, or for a check_ccert_access entry
    /// (whose value is an action) the name ccert keeps in its comment.
    name: String,
    /// The value as written (`OK` for a check_ccert_access entry).
    #[serde(serialize_with = "lossy")]
    value: Vec<u8>,
    /// The digest the key's length implies, when the key is a fingerprint.
    digest: Option<&'static str>,
    /// Whether ccert recorded it as a public-key fingerprint.
    pubkey: Option<bool>,
    /// The certificate's notAfter, when ccert recorded it.
    #[serde(serialize_with = "rfc3339")]
    not_after: Option<OffsetDateTime>,
    /// The certificate's subject, when ccert recorded it.
    subject: Option<String>,
    /// 1-based first line.
    line: usize,
    /// An earlier entry has the same (folded) key, so postmap ignores this one.
    duplicate: bool,
    /// The line of that earlier entry.
    duplicate_of: Option<usize>,
    /// A rotation's new entry: the fingerprint it replaces (`ccert rotate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<String>,
    /// A rotation's new entry: the last day both relay.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "day")]
    until: Option<time::Date>,
    /// A rotation's old entry: the last day it relays unless `prune`
    /// retires it sooner.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "day")]
    rotating_out_until: Option<time::Date>,
    /// A rotation's old entry: its successor's line.
    #[serde(skip_serializing_if = "Option::is_none")]
    successor_line: Option<usize>,
}

fn day<S: serde::Serializer>(d: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

/// Rotations in progress, by the old entry's fingerprint: the overlap's
/// last day and the new entry's line.
type Successors = std::collections::HashMap<Fingerprint, (Option<time::Date>, usize)>;

fn lossy<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

fn rfc3339<S: serde::Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t.and_then(|t| t.format(&Rfc3339).ok()) {
        Some(text) => s.serialize_str(&text),
        None => s.serialize_none(),
    }
}

/// Runs `ccert list`.
///
/// The source is streamed, and plain and JSON output are written while it
/// is read, so memory stays small on a million-entry source (duplicates are
/// marked exactly with a first pass, see [`RepeatedKeys`]).
pub fn run(args: &ListArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if let Some(map) = ctx.store_map()? {
        return super::store_edge::list(args, &map);
    }
    let path = ctx.source_path()?;
    // Refuses a FIFO or device; sweeps killed edits' temp files.
    crate::source::locked::before_reading(&path)?;
    let open = || {
        crate::fsutil::open_regular(&path)
            .map(|f| RecordReader::new(BufReader::with_capacity(1 << 16, f)).with_comments())
            .with_context(|| {
                format!(
                    "reading the clientcerts source {} (name another file with --map)",
                    path.display()
                )
            })
    };
    let reading = || format!("reading the clientcerts source {}", path.display());
    // Plain output shows no duplicate marks: one pass is enough.
    let mut read_error = None;
    // The widest cells of the streamed table's short columns, and the last
    // entry's line (the LINE column), measured in the first pass.
    let mut widest = Widest::default();
    let measure = args.format == ListFormat::Table;
    let mut comments = CommentsAbove::default();
    let mut successors = Successors::new();
    let mut repeated = if args.format == ListFormat::Plain {
        RepeatedKeys::default()
    } else {
        RepeatedKeys::from_keys(
            open()?
                .map_while(|item| item.map_err(|e| read_error = Some(e)).ok())
                .filter_map(|item| match item {
                    Item::Record(r) => {
                        let key = fold_key(&r.key);
                        let comment = comments.above(r.lines.start);
                        if let Some(rotation) = comment.as_deref().and_then(|c| {
                            let note = Annotation::parse(c).filter(|a| a.describes(&r.key));
                            crate::lifecycle::Rotation::of(&r, note.as_ref())
                        }) {
                            successors.insert(
                                rotation.predecessor,
                                (rotation.until, rotation.successor_line),
                            );
                        }
                        if measure {
                            widest.offer(r, comment);
                        }
                        Some(key)
                    }
                    Item::Comment(index, text) => {
                        comments.note(index, text);
                        None
                    }
                    _ => None,
                }),
        )
    };
    if let Some(e) = read_error {
        return Err(e).with_context(reading);
    }

    let cutoff = args
        .expiring
        .map(|days| OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)));
    let mut comments = CommentsAbove::default();
    let mut failed: Option<anyhow::Error> = None;
    let mut entries = open()?.filter_map(|item| {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                failed = Some(anyhow::Error::new(e).context(reading()));
                return None;
            }
        };
        let r = match item {
            Item::Record(r) => r,
            Item::Problem(p) => {
                tell!("ccert: warning: {}", p.warning(&path));
                return None;
            }
            Item::Comment(index, text) => {
                comments.note(index, text);
                return None;
            }
        };
        let earlier = repeated.first_line(&fold_key(&r.key), r.line);
        let comment = comments.above(r.lines.start);
        let mut entry = entry(r, comment, Some(earlier));
        if !successors.is_empty()
            && let Some((until, line)) = std::str::from_utf8(&entry.key)
                .ok()
                .and_then(Fingerprint::parse)
                .and_then(|fp| successors.get(&fp))
        {
            entry.rotating_out_until = *until;
            entry.successor_line = Some(*line);
        }
        match cutoff {
            Some(cutoff) if entry.not_after.is_none_or(|t| t > cutoff) => None,
            _ => Some(entry),
        }
    });
    // What the server compares keys with; unknown without a readable configuration.
    let server_digest = ctx
        .postfix()
        .ok()
        .and_then(|p| p.fingerprint_digest().ok().flatten());
    let shown = print(&mut entries, args.format, server_digest, &widest)?;
    drop(entries);
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(if args.expiring.is_some() && shown > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// The entry of record `r` with the comment line right above it
/// (ccert's, when it describes the entry); `earlier` is the line of an
/// earlier entry with the same key, or `r`'s own line (`None` before
/// duplicates are known).
fn entry(r: Record, comment: Option<Vec<u8>>, earlier: Option<usize>) -> Entry {
    let earlier = earlier.unwrap_or(r.line);
    let annotation = comment
        .and_then(|text| Annotation::parse(&text))
        .filter(|a| a.describes(&r.key))
        .unwrap_or_default();
    let digest = std::str::from_utf8(&r.key)
        .ok()
        .and_then(Fingerprint::parse)
        .map(|f| f.algorithm.name());
    let name = annotation
        .name
        .clone()
        .unwrap_or_else(|| String::from_utf8_lossy(&r.value).into_owned());
    Entry {
        key: r.key,
        name,
        value: r.value,
        digest,
        pubkey: annotation.pubkey,
        not_after: annotation.not_after,
        subject: annotation.subject,
        line: r.line,
        duplicate: earlier != r.line,
        duplicate_of: (earlier != r.line).then_some(earlier),
        replaces: annotation.replaces.as_ref().map(ToString::to_string),
        until: annotation.until.filter(|_| annotation.replaces.is_some()),
        rotating_out_until: None,
        successor_line: None,
    }
}

/// The widest cells of the short columns over every entry, from the
/// first pass, so a streamed table's fixed widths fit its last rows too.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Widest {
    /// FINGERPRINT with full fingerprints.
    key: usize,
    /// FINGERPRINT with shortened fingerprints.
    short_key: usize,
    /// DIGEST.
    digest: usize,
    /// NOT AFTER.
    not_after: usize,
    /// The last entry's line (LINE's widest cell).
    last_line: usize,
}

impl Widest {
    /// Takes record `r` (with the comment line above it) into account,
    /// making its entry only when it has a comment (ccert's gives a date,
    /// a public-key digest) or a key that is not plain ASCII (escapes widen
    /// it): the cells of the others are measured without being made.
    fn offer(&mut self, r: Record, comment: Option<Vec<u8>>) {
        if comment.is_some() || !r.key.iter().all(u8::is_ascii_graphic) {
            return self.measure(&entry(r, comment, None));
        }
        let width = r.key.len().min(table_layout::MAX_CELL);
        self.key = self.key.max(width);
        let fingerprint = std::str::from_utf8(&r.key)
            .ok()
            .and_then(Fingerprint::algorithm_of)
            .is_some();
        let short = if fingerprint && width > table_layout::SHORTEN_FROM {
            table_layout::SHORTENED_WIDTH
        } else {
            width
        };
        self.short_key = self.short_key.max(short);
        // Without ccert's comment, DIGEST (at most `sha512`) and NOT AFTER
        // (`-`) are no wider than their headers.
        self.last_line = self.last_line.max(r.line);
    }

    /// Takes `e`'s cells into account.
    /// (Without a copy of the cells where it can: this runs on every entry.)
    fn measure(&mut self, e: &Entry) {
        let key = visible(&e.key);
        let width = key.chars().count();
        self.key = self.key.max(width);
        let short = match e.digest {
            Some(_) if key.len() > table_layout::SHORTEN_FROM => table_layout::SHORTENED_WIDTH,
            _ => width,
        };
        self.short_key = self.short_key.max(short);
        self.digest = self.digest.max(digest_cell(e).chars().count());
        if let Some(date) = e.not_after.map(|_| not_after_cell(e)) {
            self.not_after = self.not_after.max(date.chars().count());
        }
        self.last_line = self.last_line.max(e.line);
    }
}

// Tables with more rows than this are streamed with fixed column widths
// (streamed_table) instead of laid out whole.
use table_layout::STREAM_ROWS_FROM;

/// Prints the entries as they come (the table, which must measure its
/// columns, once they are all read, or its first rows when there are many);
/// returns how many were printed.
fn print(
    entries: &mut dyn Iterator<Item = Entry>,
    format: ListFormat,
    server_digest: Option<DigestAlgorithm>,
    widest: &Widest,
) -> anyhow::Result<usize> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0;
    match format {
        ListFormat::Plain => {
            for e in entries {
                count += 1;
                out.write_all(&e.key)?;
                out.write_all(b" ")?;
                out.write_all(&e.value)?;
                out.write_all(b"\n")?;
            }
        }
        ListFormat::Json => {
            let mut serializer = serde_json::Serializer::pretty(&mut out);
            serializer.collect_seq(entries.inspect(|_| count += 1))?;
            out.write_all(b"\n")?;
        }
        ListFormat::Table => {
            let first: Vec<Entry> = (&mut *entries).take(STREAM_ROWS_FROM + 1).collect();
            let now = OffsetDateTime::now_utc();
            let width = table_layout::width();
            if first.len() <= STREAM_ROWS_FROM {
                count = first.len();
                writeln!(out, "{}", table(&first, server_digest, now, width))?;
            } else {
                let layout = Layout {
                    server_digest,
                    now,
                    width,
                    widest: widest.clone(),
                };
                count = streamed_table(&mut out, first, entries, &layout)?;
            }
        }
    }
    out.flush()?;
    Ok(count)
}

fn table(
    entries: &[Entry],
    server_digest: Option<DigestAlgorithm>,
    now: OffsetDateTime,
    width: u16,
) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(HEADER);
    let full = width >= table_layout::FULL_FINGERPRINTS_FROM;
    let mut widest_key = 0;
    for e in entries {
        let row = cells(e, full, server_digest, now);
        widest_key = widest_key.max(row[0].chars().count());
        table.add_row(row);
    }
    // Short columns never wrap; NAME and NOTE take what is left. A key
    // wider than half the table (not a fingerprint) wraps instead.
    for index in [0, 2, 3, 4] {
        if let Some(column) = table.column_mut(index) {
            let half = width / 2;
            column.set_constraint(if index == 0 && widest_key > usize::from(half) {
                comfy_table::ColumnConstraint::UpperBoundary(comfy_table::Width::Fixed(half))
            } else {
                comfy_table::ColumnConstraint::ContentWidth
            });
        }
    }
    table
}

/// One row of the table.
fn cells(
    e: &Entry,
    full: bool,
    server_digest: Option<DigestAlgorithm>,
    now: OffsetDateTime,
) -> [String; 6] {
    [
        key_cell(e, full),
        visible(e.name.as_bytes()),
        digest_cell(e).into_owned(),
        not_after_cell(e),
        e.line.to_string(),
        note(e, server_digest, now),
    ]
}

/// The FINGERPRINT cell: the whole key, or with `full` false a
/// fingerprint shortened.
fn key_cell(e: &Entry, full: bool) -> String {
    let key = visible(&e.key);
    if full || e.digest.is_none() {
        key
    } else {
        table_layout::shorten(&key)
    }
}

/// The DIGEST cell.
fn digest_cell(e: &Entry) -> Cow<'static, str> {
    match (e.digest, e.pubkey) {
        (Some(d), Some(true)) => format!("{d} (pubkey)").into(),
        (Some(d), _) => d.into(),
        (None, _) => "-".into(),
    }
}

/// The NOT AFTER cell.
fn not_after_cell(e: &Entry) -> String {
    e.not_after
        .map(|t| t.date().to_string())
        .unwrap_or_else(|| "-".to_string())
}

/// What a streamed table's rows need besides the entries.
struct Layout {
    server_digest: Option<DigestAlgorithm>,
    now: OffsetDateTime,
    width: u16,
    /// The widest short cells of every entry, from the first pass.
    widest: Widest,
}

/// Writes a large table a chunk of rows at a time, each laid out by
/// comfy-table with the same fixed column widths, so it looks like one
/// table while memory stays that of one chunk. The widths come from the
/// widest cells of every entry (FINGERPRINT, DIGEST, NOT AFTER, LINE; see
/// [`Widest`]) and the terminal width (NAME and NOTE share the rest;
/// longer cells wrap).
fn streamed_table(
    out: &mut impl std::io::Write,
    first: Vec<Entry>,
    rest: &mut dyn Iterator<Item = Entry>,
    layout: &Layout,
) -> std::io::Result<usize> {
    let full = layout.width >= table_layout::FULL_FINGERPRINTS_FROM;
    let row = |e: &Entry| cells(e, full, layout.server_digest, layout.now);
    let widths = table_layout::fixed_widths(
        fixed_widths(first.iter().map(row), layout),
        [1, 5],
        layout.width,
    );
    let mut count = 0;
    let mut chunk = first;
    let mut index = 0;
    loop {
        count += chunk.len();
        let rows: Vec<[String; 6]> = chunk.iter().map(row).collect();
        table_layout::write_chunk(out, &HEADER, &rows, &widths, layout.width, index)?;
        chunk = (&mut *rest).take(STREAM_ROWS_FROM).collect();
        if chunk.is_empty() {
            return Ok(count);
        }
        index += 1;
    }
}

const HEADER: [&str; 6] = ["FINGERPRINT", "NAME", "DIGEST", "NOT AFTER", "LINE", "NOTE"];

/// Content widths of the short columns: the widest cells of every entry
/// (and of `rows`, the first ones); NAME and NOTE are left 0.
fn fixed_widths(rows: impl Iterator<Item = [String; 6]>, layout: &Layout) -> [usize; 6] {
    let mut widths = HEADER.map(|h| h.chars().count());
    widths[1] = 0;
    widths[5] = 0;
    for row in rows {
        for i in [0, 2, 3] {
            widths[i] = widths[i].max(row[i].chars().count());
        }
    }
    let widest = &layout.widest;
    let full = layout.width >= table_layout::FULL_FINGERPRINTS_FROM;
    widths[0] = widths[0].max(if full { widest.key } else { widest.short_key });
    widths[2] = widths[2].max(widest.digest);
    widths[3] = widths[3].max(widest.not_after);
    // Never more than half the width for the keys: a long non-fingerprint
    // key wraps rather than squeezing the names out.
    widths[0] = widths[0]
        .min(usize::from(layout.width) / 2)
        .max(HEADER[0].len());
    widths[4] = widths[4].max(widest.last_line.to_string().len());
    widths
}

/// Why an entry may not do what its owner thinks.
fn note(e: &Entry, server_digest: Option<DigestAlgorithm>, now: OffsetDateTime) -> String {
    let mut notes = Vec::new();
    if let Some(l) = e.duplicate_of {
        notes.push(format!("duplicate of line {l}: ignored"));
    }
    match (e.digest, server_digest) {
        (None, _) => notes.push("invalid key: not a fingerprint".to_string()),
        (Some(d), Some(server)) if d != server.name() => {
            notes.push(format!("{d} key, server uses {server}: never matches"));
        }
        _ => {}
    }
    if let Some(t) = e.not_after.filter(|t| *t < now) {
        notes.push(format!("expired {}", t.date()));
    }
    if e.name.as_bytes() != e.value.as_slice() {
        notes.push(format!("action {}", visible(&e.value)));
    }
    if let Some(line) = e.successor_line {
        notes.push(match e.rotating_out_until {
            Some(until) => format!("rotating out: line {line} replaces it, through {until}"),
            None => format!("rotating out: line {line} replaces it"),
        });
    }
    if let Some(old) = &e.replaces {
        notes.push(format!(
            "rotating in: replaces {}",
            table_layout::shorten(old)
        ));
    }
    notes.join("; ")
}

/// Text for a table cell: control and bidi characters escaped (a CR kept
/// inside a joined value, a TAB in a quoted key, a right-to-left override
/// in a certificate name) so they cannot garble the table or the terminal.
/// A cell longer than [`table_layout::MAX_CELL`] bytes is cut there and
/// says how much is left out, so a 1 MiB entry costs what a short one does.
fn visible(text: &[u8]) -> String {
    table_layout::cell(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, value: &str, line: usize) -> Entry {
        Entry {
            key: key.as_bytes().to_vec(),
            name: value.to_string(),
            value: value.as_bytes().to_vec(),
            digest: Fingerprint::parse(key).map(|f| f.algorithm.name()),
            pubkey: None,
            not_after: None,
            subject: None,
            line,
            duplicate: false,
            duplicate_of: None,
            replaces: None,
            until: None,
            rotating_out_until: None,
            successor_line: None,
        }
    }

    const SHA256: &str = "1A:22:04:9F:49:0D:8C:EB:78:BC:DC:AA:A8:F4:60:5E:\
                          16:B7:B2:CE:BD:DE:00:26:BC:EE:AC:DA:FD:98:DC:34";

    #[test]
    fn rows_fit_the_width_and_notes_explain() {
        let now = time::macros::datetime!(2026-01-01 0:00 UTC);
        let mut expired = entry(SHA256, "laptop", 1);
        expired.not_after = Some(time::macros::datetime!(2025-01-01 0:00 UTC));
        let mut dup = entry(&SHA256.to_lowercase(), "evil\u{202E}gpj.exe", 2);
        dup.duplicate = true;
        dup.duplicate_of = Some(1);
        let md5 = entry("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", "old", 3);
        let bad = entry("not-a-fingerprint", "x", 4);
        let entries = [expired, dup, md5, bad];
        for width in [60u16, 80, 120] {
            let text = table(&entries, Some(DigestAlgorithm::Sha256), now, width).to_string();
            for line in text.lines() {
                assert!(
                    line.chars().count() <= usize::from(width),
                    "{width}: {line:?}\n{text}"
                );
            }
        }
        let text = table(&entries, Some(DigestAlgorithm::Sha256), now, 200).to_string();
        assert!(text.contains(SHA256), "{text}");
        assert!(text.contains("expired 2025-01-01"), "{text}");
        assert!(text.contains("duplicate of line 1: ignored"), "{text}");
        assert!(
            text.contains("md5 key, server uses sha256: never matches"),
            "{text}"
        );
        assert!(text.contains("invalid key: not a fingerprint"), "{text}");
        assert!(text.contains("evil\\u{202E}gpj.exe"), "{text}");
        assert!(!text.contains('\u{202E}'));
        let narrow = table(&entries, None, now, 80).to_string();
        assert!(narrow.contains("1A:22:04:9F:…DC:34"), "{narrow}");
    }

    #[test]
    fn large_tables_stream_in_chunks_that_read_as_one_table() {
        let now = time::macros::datetime!(2026-01-01 0:00 UTC);
        let n = 2 * STREAM_ROWS_FROM + 7;
        let make = |i: usize| {
            let mut e = entry(SHA256, &format!("host{i}.example.com"), i);
            if i == n {
                e.key = b"not-a-fingerprint".to_vec();
                e.digest = None;
            }
            e
        };
        for width in [60u16, 80, 120, 200] {
            let mut widest = Widest::default();
            (1..=n).for_each(|i| widest.measure(&make(i)));
            let layout = Layout {
                server_digest: Some(DigestAlgorithm::Sha256),
                now,
                width,
                widest,
            };
            let first: Vec<Entry> = (1..=STREAM_ROWS_FROM + 1).map(make).collect();
            let mut rest = (STREAM_ROWS_FROM + 2..=n).map(make);
            let mut out = Vec::new();
            let count = streamed_table(&mut out, first, &mut rest, &layout).unwrap();
            assert_eq!(count, n);
            let text = String::from_utf8(out).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for line in &lines {
                assert!(
                    line.chars().count() <= usize::from(width),
                    "{width}: {line:?}\n{}",
                    &text[..2000]
                );
            }
            assert_eq!(text.matches("FINGERPRINT").count(), 1);
            let rule = |l: &str| l.trim().chars().all(|c| c == '─');
            assert!(
                lines.windows(2).all(|w| !(rule(w[0]) && rule(w[1]))),
                "{width}"
            );
            // Every row's NAME starts in the same column, chunk after chunk.
            let starts: std::collections::HashSet<usize> = lines
                .iter()
                .filter_map(|l| l.find("host").map(|b| l[..b].chars().count()))
                .collect();
            assert_eq!(starts.len(), 1, "{width}: {starts:?}");
            assert!(text.contains(&format!("host{n}.example.com")) || width < 120);
            assert!(text.contains("invalid key: not a fingerprint") || width < 120);
        }
    }

    /// Cells wider than any in the first rows, far down a streamed table
    /// (a public-key digest, a date, a SHA-512 fingerprint), keep to one
    /// line: the first pass measured them.
    #[test]
    fn late_wide_cells_do_not_wrap() {
        let now = time::macros::datetime!(2026-01-01 0:00 UTC);
        let n = 2 * STREAM_ROWS_FROM + 7;
        let sha512 = [SHA256, SHA256].join(":");
        let make = |i: usize| {
            let mut e = entry(SHA256, &format!("host{i}.example.com"), i);
            if i == n - 1 {
                e.key = sha512.as_bytes().to_vec();
                e.digest = Some("sha512");
                e.pubkey = Some(true);
                e.not_after = Some(time::macros::datetime!(2031-01-01 0:00 UTC));
            }
            e
        };
        // Measuring gives the widths of the cells the table shows.
        for e in [
            make(1),
            make(n - 1),
            entry("not-a-fp", "x", 3),
            entry("00:11", "y", 4),
        ] {
            let mut one = Widest::default();
            one.measure(&e);
            let width = |cell: &str| cell.chars().count();
            assert_eq!(one.key, width(&key_cell(&e, true)));
            assert_eq!(one.short_key, width(&key_cell(&e, false)));
            assert_eq!(one.digest, width(&digest_cell(&e)));
            if e.not_after.is_some() {
                assert_eq!(one.not_after, width(&not_after_cell(&e)));
            }
        }
        let mut widest = Widest::default();
        (1..=n).for_each(|i| widest.measure(&make(i)));
        assert_eq!(widest.digest, "sha512 (pubkey)".len());
        assert_eq!(widest.not_after, "2031-01-01".len());
        assert_eq!(widest.key, sha512.len());
        for width in [120u16, 400] {
            let layout = Layout {
                server_digest: Some(DigestAlgorithm::Sha512),
                now,
                width,
                widest: widest.clone(),
            };
            let first: Vec<Entry> = (1..=STREAM_ROWS_FROM + 1).map(make).collect();
            let mut rest = (STREAM_ROWS_FROM + 2..=n).map(make);
            let mut out = Vec::new();
            streamed_table(&mut out, first, &mut rest, &layout).unwrap();
            let text = String::from_utf8(out).unwrap();
            let row = text
                .lines()
                .find(|l| l.contains(&format!("host{}.example.com", n - 1)))
                .unwrap();
            assert!(row.contains("sha512 (pubkey)"), "{width}: {row}");
            assert!(row.contains("2031-01-01"), "{width}: {row}");
            if width >= table_layout::FULL_FINGERPRINTS_FROM {
                assert!(row.contains(&sha512), "{width}: {row}");
            }
            for line in text.lines() {
                assert!(line.chars().count() <= usize::from(width), "{line}");
            }
        }
    }

    /// Offering records (skipping those that cannot widen a column) ends
    /// in the column widths measuring every entry gives.
    #[test]
    fn offering_records_measures_like_every_entry() {
        let fp = |i: u8| {
            let bytes: Vec<String> = (0..32).map(|b| format!("{:02X}", b ^ i)).collect();
            bytes.join(":")
        };
        let dated = Annotation::new(
            &Fingerprint::parse(&fp(3)).unwrap(),
            true,
            Some(time::macros::datetime!(2031-01-01 0:00 UTC)),
            "CN=x",
            time::macros::date!(2026 - 01 - 01),
        );
        let source = format!(
            "{} a\n{} b\n{}\n{} c\nshort d\n\"tab\tkey\" e\n{} f\n",
            fp(1),
            fp(2).to_lowercase(),
            dated.to_line(),
            fp(3),
            fp(4).replace(':', "")
        );
        let mut offered = Widest::default();
        let mut measured = Widest::default();
        let mut comments = CommentsAbove::default();
        for item in RecordReader::new(source.as_bytes()).with_comments() {
            match item.unwrap() {
                Item::Record(r) => {
                    let comment = comments.above(r.lines.start);
                    measured.measure(&super::entry(r.clone(), comment.clone(), None));
                    offered.offer(r, comment);
                }
                Item::Comment(index, text) => comments.note(index, text),
                Item::Problem(p) => panic!("{p:?}"),
            }
        }
        let floor = |w: &Widest| {
            let mut w = w.clone();
            w.digest = w.digest.max(HEADER[2].len());
            w.not_after = w.not_after.max(HEADER[3].len());
            w
        };
        assert_eq!(floor(&offered), floor(&measured));
        assert_eq!(measured.digest, "sha256 (pubkey)".len());
        assert_eq!(measured.last_line, 7);
    }
}

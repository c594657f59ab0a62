//! A lossless model of a postmap source file, with postmap's reading rules.
//!
//! [`SourceFile`] keeps every byte of the file, so an edit touches only its
//! own lines and `to_bytes()` of an unedited model returns the input. Reading
//! follows postmap (see `docs/formats/source-file.md`): comment
//! lines (first non-blank character `#`), blank lines, whitespace-led
//! continuation lines that join the previous logical line (skipping comments
//! and blanks between them), double-quoted keys, CR of CRLF stripped with the
//! value's trailing whitespace. A logical line is read up to its first NUL
//! byte (postmap handles C strings), and a non-ASCII logical line that is not
//! valid UTF-8 is skipped (`smtputf8_enable = yes`, Debian's default).
//!
//! The rules live once, in `rules`, and both [`SourceFile::records`] and the
//! streaming [`RecordReader`] use them.

pub mod annotation;
pub mod copy;
pub mod edit;
pub mod locked;
pub mod repeated;
mod rules;
#[cfg(test)]
pub(crate) mod upsert;

use std::collections::VecDeque;
use std::io::BufRead;
use std::ops::Range;

pub use rules::ALIAS_FORMAT_WARNING;
use rules::{Joiner, LineKind, LogicalLine, Parsed, classify, parse_logical};

/// One logical record as postmap reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The key bytes exactly as postmap stores them before case folding.
    pub key: Vec<u8>,
    /// The value bytes exactly as postmap stores them.
    pub value: Vec<u8>,
    /// 1-based number of the record's first physical line.
    pub line: usize,
    /// 0-based range of physical lines (first line to last continuation) the record spans.
    pub lines: Range<usize>,
}

/// A line postmap would skip, with its warning.
///
/// One warning does not skip anything: a key ending in `:` yields a problem
/// with the message [`ALIAS_FORMAT_WARNING`] *and* the record, as postmap
/// warns and still stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based physical line number.
    pub line: usize,
    /// postmap's warning text (without file and line).
    pub message: String,
}

impl Problem {
    /// Whether postmap skips the line (false only for the `key: value` warning).
    pub fn skips_line(&self) -> bool {
        self.message != ALIAS_FORMAT_WARNING
    }

    /// The warning as postmap words it for `source`: `FILE, line N: message`.
    pub fn warning(&self, source: &std::path::Path) -> String {
        format!("{}, line {}: {}", source.display(), self.line, self.message)
    }
}

/// Errors of the editing API.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The lines given do not hold a record.
    #[error("line {line}: no record there")]
    NoRecord {
        /// 1-based line.
        line: usize,
    },
    /// A value postmap would not store unchanged.
    #[error("value {value:?}: {reason}")]
    BadValue {
        /// The value.
        value: String,
        /// Why.
        reason: &'static str,
    },
}

/// The parsed file.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    bytes: Vec<u8>,
    /// Byte offset where each physical line starts.
    starts: Vec<usize>,
    /// The line ending the file had when it was read: what lines added
    /// later take once edits left no line break to go by (a CRLF file stays
    /// CRLF).
    read_ending: &'static [u8],
}

impl SourceFile {
    /// Parses file content (any bytes; nothing is rejected).
    pub fn parse(bytes: &[u8]) -> Self {
        let mut file = Self {
            bytes: bytes.to_vec(),
            starts: Vec::new(),
            read_ending: b"\n",
        };
        file.reindex();
        file.read_ending = file.line_ending();
        file
    }

    fn reindex(&mut self) {
        self.starts.clear();
        let mut start = 0;
        while start < self.bytes.len() {
            self.starts.push(start);
            start = match memchr_nl(&self.bytes[start..]) {
                Some(i) => start + i + 1,
                None => self.bytes.len(),
            };
        }
    }

    /// The file content, byte-identical to the input when unedited.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The file content, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of physical lines (a last line without `\n` counts).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of physical line `index` including its `\n`.
    fn full_span(&self, index: usize) -> Range<usize> {
        let start = self.starts[index];
        let end = self
            .starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.bytes.len());
        start..end
    }

    /// Physical line `index` (0-based) without its `\n` (a CR stays).
    pub fn line(&self, index: usize) -> &[u8] {
        let span = self.full_span(index);
        let line = &self.bytes[span];
        line.strip_suffix(b"\n").unwrap_or(line)
    }

    /// Whether the file is empty or ends with `\n`.
    pub fn ends_with_newline(&self) -> bool {
        self.bytes.is_empty() || self.bytes.ends_with(b"\n")
    }

    /// The file's line ending: CRLF when its first terminated line ends with
    /// `\r\n`, else LF; with no line break left, the one it was read with.
    pub fn line_ending(&self) -> &'static [u8] {
        match memchr_nl(&self.bytes) {
            Some(i) if i > 0 && self.bytes[i - 1] == b'\r' => b"\r\n",
            Some(_) => b"\n",
            None => self.read_ending,
        }
    }

    /// The records postmap would store, in file order (duplicates included),
    /// and the lines it would skip with its warnings.
    pub fn records(&self) -> (Vec<Record>, Vec<Problem>) {
        let mut records = Vec::new();
        let mut problems = Vec::new();
        let mut sink = |item: Item| match item {
            Item::Record(r) => records.push(r),
            Item::Problem(p) => problems.push(p),
            Item::Comment(..) => {}
        };
        let mut joiner = Joiner::default();
        for index in 0..self.line_count() {
            joiner.push(index, self.line(index), |logical| {
                interpret(logical, &mut sink)
            });
        }
        joiner.finish(|logical| interpret(logical, &mut sink));
        (records, problems)
    }

    /// Appends lines (given without line endings) at the end of the file,
    /// with the file's line ending. A file without a final newline keeps
    /// having none (the separator goes before each new line), so removing
    /// the new lines again restores the exact bytes. Returns the 0-based
    /// range of the new lines.
    pub fn append_lines<I, S>(&mut self, lines: I) -> Range<usize>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let first = self.line_count();
        let added = appended_bytes(self.ends_with_newline(), self.line_ending(), lines);
        // Index only what was added: appending many entries one by one
        // stays linear. A last line without `\n` is re-indexed from its start.
        let from = self.starts.pop().unwrap_or(0);
        let rescan = if self.ends_with_newline() {
            self.starts.push(from);
            self.bytes.len()
        } else {
            from
        };
        self.bytes.extend_from_slice(&added);
        let mut start = rescan;
        while start < self.bytes.len() {
            self.starts.push(start);
            start = match memchr_nl(&self.bytes[start..]) {
                Some(i) => start + i + 1,
                None => self.bytes.len(),
            };
        }
        first..self.line_count()
    }

    /// Removes physical lines `range` (0-based). When they end the file and
    /// the file has no final newline, the line ending before them goes too,
    /// so the file still ends without one (the inverse of [`Self::append_lines`]).
    pub fn remove_lines(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let end = self.full_span(range.end - 1).end;
        let mut start = self.starts[range.start];
        if end == self.bytes.len() && !self.ends_with_newline() && range.start > 0 {
            // Back to the end of the previous line's content, without its
            // line ending: the file's style as `append_lines` saw it, i.e.
            // LF when that separator is the file's first `\n`.
            let prev = self.full_span(range.start - 1);
            let eol: &[u8] = if memchr_nl(&self.bytes) < Some(prev.end - 1) {
                self.line_ending()
            } else {
                b"\n"
            };
            start = if self.bytes[prev.clone()].ends_with(eol) {
                prev.end - eol.len()
            } else {
                prev.end - 1
            };
        }
        self.bytes.drain(start..end);
        self.reindex();
    }

    /// Replaces the content of physical line `index` (its line ending is
    /// kept): a whole-line rewrite such as a record's first line with a new
    /// key, or a ccert comment. [`copy::copy_rewriting`] does the same while
    /// copying a file, without holding it.
    pub fn replace_line(&mut self, index: usize, content: &[u8]) {
        let start = self.starts[index];
        let end = start + self.line(index).len();
        // A CR of a CRLF line belongs to the line ending, not the content.
        let end = if self.bytes[start..end].ends_with(b"\r") {
            end - 1
        } else {
            end
        };
        self.bytes.splice(start..end, content.iter().copied());
        self.reindex();
    }

    /// Replaces the value of the record on `lines` (a [`Record::lines`])
    /// with `value`, touching only the value's bytes (for a value spread
    /// over continuation lines, everything from its start to its end).
    pub fn replace_value(&mut self, lines: Range<usize>, value: &[u8]) -> Result<(), EditError> {
        check_value(value)?;
        let no_record = EditError::NoRecord {
            line: lines.start + 1,
        };
        if lines.is_empty() || lines.end > self.line_count() {
            return Err(no_record);
        }
        // Rebuild the logical line, remembering where each piece came from.
        let mut text = Vec::new();
        let mut pieces: Vec<(usize, usize, usize)> = Vec::new(); // (logical start, physical start, len)
        for index in lines.clone() {
            let kind = classify(self.line(index));
            let wanted = if index == lines.start {
                kind == LineKind::Start
            } else {
                kind == LineKind::Continuation
            };
            if index == lines.start && !wanted {
                return Err(no_record);
            }
            if wanted {
                let line = self.line(index);
                pieces.push((text.len(), self.starts[index], line.len()));
                text.extend_from_slice(line);
            }
        }
        let Parsed::Record { value: range, .. } = parse_logical(&text) else {
            return Err(no_record);
        };
        let to_physical = |offset: usize, is_end: bool| {
            pieces
                .iter()
                .find(|(l, _, n)| {
                    if is_end {
                        *l < offset && offset <= l + n
                    } else {
                        *l <= offset && offset < l + n
                    }
                })
                .map(|(l, p, _)| p + (offset - l))
        };
        let (Some(start), Some(end)) = (
            to_physical(range.start, false),
            to_physical(range.end, true),
        ) else {
            return Err(no_record);
        };
        self.bytes.splice(start..end, value.iter().copied());
        self.reindex();
        Ok(())
    }
}

/// The bytes [`SourceFile::append_lines`] adds after content that ends with
/// a newline (`terminated`, or is empty) or not, with line ending `eol`.
pub fn appended_bytes<I, S>(terminated: bool, eol: &[u8], lines: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut out = Vec::new();
    for line in lines {
        if terminated {
            out.extend_from_slice(line.as_ref());
            out.extend_from_slice(eol);
        } else {
            out.extend_from_slice(eol);
            out.extend_from_slice(line.as_ref());
        }
    }
    out
}

/// The longest value ccert writes (an entry's name, an access action):
/// far below the 1 MiB logical line it reads back, so a certificate with
/// a huge subject CN can never make a source ccert cannot read.
pub const MAX_VALUE: usize = 4096;

/// Whether a line of `len` bytes (line ending excluded) can be read back
/// ([`MAX_LOGICAL_LINE`]); the writers check every line they add.
pub fn readable_line(len: usize) -> bool {
    len < MAX_LOGICAL_LINE
}

/// Checks that postmap would store `value` exactly as given when it is
/// written after a key and a space: not empty, no leading or trailing
/// whitespace, no line breaks, NUL or other control characters, valid UTF-8.
pub fn check_value(value: &[u8]) -> Result<(), EditError> {
    let bad = |reason| {
        // The error quotes at most the start of a long value.
        let shown = &value[..value.len().min(64)];
        let mut quoted = String::from_utf8_lossy(shown).into_owned();
        if shown.len() < value.len() {
            quoted.push('…');
        }
        Err(EditError::BadValue {
            value: quoted,
            reason,
        })
    };
    if value.len() > MAX_VALUE {
        return bad("a value longer than 4096 bytes; an entry's name is a host or a person");
    }
    if value.iter().all(|&b| rules::is_space(b)) {
        return bad("a Postfix table value must not be empty or only whitespace");
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return bad("a value must be valid UTF-8");
    };
    if text.chars().any(char::is_control) {
        return bad("a value must not contain line breaks, tabs or other control characters");
    }
    if text.starts_with(' ') || text.ends_with(' ') {
        return bad("postmap would drop leading or trailing spaces; remove them");
    }
    Ok(())
}

fn memchr_nl(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

/// Turns one logical line into items (a problem, a record, or both).
fn interpret(logical: LogicalLine<'_>, sink: &mut impl FnMut(Item)) {
    let line = logical.first + 1;
    match parse_logical(logical.text) {
        Parsed::Skip(message) => sink(Item::Problem(Problem { line, message })),
        Parsed::Record {
            key,
            value,
            alias_warning,
        } => {
            if alias_warning {
                sink(Item::Problem(Problem {
                    line,
                    message: ALIAS_FORMAT_WARNING.to_string(),
                }));
            }
            sink(Item::Record(Record {
                key: logical.text[key].to_vec(),
                value: logical.text[value].to_vec(),
                line,
                lines: logical.first..logical.last + 1,
            }));
        }
    }
}

/// The longest logical line (continuation lines joined) ccert reads from a
/// source: 1 MiB. postmap has no limit, but the longest real entry is a
/// fingerprint and a name, about a hundred bytes; without a limit a source
/// of one endless line (a device, a corrupt file) would take all memory
/// (docs/tables.md §3).
pub const MAX_LOGICAL_LINE: usize = 1 << 20;

/// A logical line over [`MAX_LOGICAL_LINE`] bytes.
#[derive(Debug, thiserror::Error)]
#[error(
    "line {line}: a logical line longer than 1 MiB; ccert reads at most 1 MiB per \
     logical line (continuation lines included) to keep memory bounded; split the entry"
)]
pub struct LineTooLong {
    /// The 1-based line where the long logical line starts.
    pub line: usize,
}

/// `BufRead::read_until(b'\n', line)` with the SIMD search of `memchr`
/// (std's own line search is the reader's biggest cost on short lines),
/// reading at most `limit` bytes (`None` when the line is longer).
fn read_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<usize>> {
    let mut total = 0;
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (used, found) = match memchr_nl(buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if total + used > limit.saturating_add(1) {
            return Ok(None);
        }
        line.extend_from_slice(&buf[..used]);
        input.consume(used);
        total += used;
        if found || used == 0 {
            return Ok(Some(total));
        }
    }
}

/// One item from [`RecordReader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A record postmap would store.
    Record(Record),
    /// A line postmap would skip.
    Problem(Problem),
    /// A comment line (0-based index, text without `\n`), only from a
    /// reader made [`RecordReader::with_comments`]. It comes before the
    /// record that starts right below it.
    Comment(usize, Vec<u8>),
}

/// The comment lines of a [`RecordReader::with_comments`] stream, kept
/// until the record below them arrives (a record is only handed out once
/// the line after it was read, so comments below it come first).
#[derive(Debug, Default)]
pub struct CommentsAbove {
    comments: VecDeque<(usize, Vec<u8>)>,
}

impl CommentsAbove {
    /// Keeps comment line `index`.
    pub fn note(&mut self, index: usize, text: Vec<u8>) {
        self.comments.push_back((index, text));
    }

    /// The comment line right above physical line `start` (a record's
    /// first line), if there is one; forgets the comments above it.
    pub fn above(&mut self, start: usize) -> Option<Vec<u8>> {
        while let Some((index, _)) = self.comments.front() {
            if index + 1 > start {
                return None;
            }
            let (index, text) = self.comments.pop_front()?;
            if index + 1 == start {
                return Some(text);
            }
        }
        None
    }
}

/// Streams records from a source without holding the whole file, with the
/// same rules as [`SourceFile::records`] (compile uses it so memory stays
/// bounded on million-line maps).
pub struct RecordReader<R: BufRead> {
    input: R,
    joiner: Joiner,
    line: Vec<u8>,
    index: usize,
    pending: VecDeque<Item>,
    done: bool,
    comments: bool,
}

impl<R: BufRead> RecordReader<R> {
    /// Reads from `input`.
    pub fn new(input: R) -> Self {
        Self {
            input,
            joiner: Joiner::default(),
            line: Vec::new(),
            index: 0,
            pending: VecDeque::new(),
            done: false,
            comments: false,
        }
    }

    /// Also yields comment lines ([`Item::Comment`]), for readers that show
    /// ccert's comment above an entry.
    pub fn with_comments(mut self) -> Self {
        self.comments = true;
        self
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = std::io::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            if self.done {
                return None;
            }
            self.line.clear();
            let pending = &mut self.pending;
            let sink =
                |logical: LogicalLine<'_>| interpret(logical, &mut |item| pending.push_back(item));
            let (pending, first) = self.joiner.pending();
            // The newline itself does not count (hence the +1 in read_line).
            let read = read_line(&mut self.input, &mut self.line, MAX_LOGICAL_LINE);
            // A continuation (leading white space) grows the pending line.
            let joined = |n: usize, line: &[u8]| {
                pending > 0
                    && matches!(line.first(), Some(b' ' | b'\t'))
                    && pending + n > MAX_LOGICAL_LINE
            };
            let read = match read {
                Ok(Some(n)) if joined(n, &self.line) => Ok(None),
                other => other,
            };
            match read {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.done = true;
                    let continued = matches!(self.line.first(), Some(b' ' | b'\t'));
                    let line = if pending > 0 && continued {
                        first
                    } else {
                        self.index
                    } + 1;
                    return Some(Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        LineTooLong { line },
                    )));
                }
                Ok(Some(0)) => {
                    self.done = true;
                    self.joiner.finish(sink);
                }
                Ok(Some(_)) => {
                    if self.line.last() == Some(&b'\n') {
                        self.line.pop();
                    }
                    if self.comments && rules::classify(&self.line) == LineKind::Comment {
                        self.pending
                            .push_back(Item::Comment(self.index, self.line.clone()));
                    }
                    let pending = &mut self.pending;
                    let sink = |logical: LogicalLine<'_>| {
                        interpret(logical, &mut |item| pending.push_back(item))
                    };
                    self.joiner.push_owned(self.index, &mut self.line, sink);
                    self.index += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuations_across_comments_and_blanks() {
        let f = SourceFile::parse(b"key1 value\n# comment\n\n  more\n\tk2 orphan\nz w");
        let (records, problems) = f.records();
        assert!(problems.is_empty());
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].key, b"key1");
        assert_eq!(records[0].value, b"value  more\tk2 orphan");
        assert_eq!(records[0].lines, 0..5);
        assert_eq!(records[1].line, 6);
    }

    #[test]
    fn orphan_continuation_is_one_problem() {
        let f = SourceFile::parse(b"  x\n  y\n#c\nk v\n");
        let (records, problems) = f.records();
        assert_eq!(records.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 1);
    }

    #[test]
    fn append_and_remove_keep_bytes() {
        for original in [&b""[..], b"a b", b"a b\n", b"a b\r\nc d", b"a b\r\n"] {
            let mut f = SourceFile::parse(original);
            let added = f.append_lines(["# c", "K V"]);
            let (records, _) = f.records();
            assert_eq!(records.last().unwrap().key, b"K");
            assert_eq!(records.last().unwrap().value, b"V");
            f.remove_lines(added);
            assert_eq!(f.to_bytes(), original);
        }
        let mut f = SourceFile::parse(b"a b\r\n");
        f.append_lines(["x y"]);
        assert_eq!(f.to_bytes(), b"a b\r\nx y\r\n");
    }

    #[test]
    fn replace_value_touches_only_the_value() {
        let mut f = SourceFile::parse(b"# c\nk  old  \r\nz w\n");
        f.replace_value(1..2, b"new").unwrap();
        assert_eq!(f.to_bytes(), b"# c\nk  new  \r\nz w\n");
        let mut f = SourceFile::parse(b"k\n  old\n  # c\n  part\nz w\n");
        f.replace_value(0..4, b"new").unwrap();
        assert_eq!(f.to_bytes(), b"k\n  new\nz w\n");
        assert!(f.replace_value(1..2, b"x").is_err());
    }

    #[test]
    fn reader_handles_lines_across_buffer_refills() {
        let input = b"k1 v1\n  cont\n# c\nk2 value two\r\n\nlast line-no-newline";
        let want: Vec<Item> = RecordReader::new(&input[..]).map(Result::unwrap).collect();
        assert_eq!(want.len(), 3);
        for capacity in 1..8 {
            let reader = std::io::BufReader::with_capacity(capacity, &input[..]);
            let got: Vec<Item> = RecordReader::new(reader).map(Result::unwrap).collect();
            assert_eq!(got, want, "capacity {capacity}");
        }
    }

    #[test]
    fn comments_reach_the_record_below_them() {
        let input = b"# a\nk1 v\n# b\n  cont\n# c\n\n# d\nk2 v\n# e\nk3 v";
        let mut comments = CommentsAbove::default();
        let mut seen = Vec::new();
        for item in RecordReader::new(&input[..]).with_comments() {
            match item.unwrap() {
                Item::Comment(index, text) => comments.note(index, text),
                Item::Record(r) => seen.push((r.key, comments.above(r.lines.start))),
                Item::Problem(p) => panic!("{p:?}"),
            }
        }
        assert_eq!(
            seen,
            [
                (b"k1".to_vec(), Some(b"# a".to_vec())),
                (b"k2".to_vec(), Some(b"# d".to_vec())),
                (b"k3".to_vec(), Some(b"# e".to_vec())),
            ]
        );
    }

    #[test]
    fn reader_reads_like_records() {
        let input = b"a b\n  c\n\"x\nk: v\n\0\nz w";
        let (records, problems) = SourceFile::parse(input).records();
        let items: Vec<Item> = RecordReader::new(&input[..]).map(Result::unwrap).collect();
        assert_eq!(
            items
                .iter()
                .filter(|i| matches!(i, Item::Record(_)))
                .count(),
            records.len()
        );
        assert_eq!(
            items
                .iter()
                .filter(|i| matches!(i, Item::Problem(_)))
                .count(),
            problems.len()
        );
    }

    /// A logical line over the limit is an error naming the line where it
    /// starts, whether one physical line is too long or continuation lines
    /// add up; a line at the limit is read.
    #[test]
    fn logical_lines_over_the_limit_are_errors_naming_the_line() {
        let error_line = |input: &[u8]| {
            RecordReader::new(input).find_map(Result::err).map(|e| {
                e.into_inner()
                    .unwrap()
                    .downcast::<LineTooLong>()
                    .unwrap()
                    .line
            })
        };
        let mut long = b"ok line\nkey ".to_vec();
        long.extend(std::iter::repeat_n(b'v', MAX_LOGICAL_LINE));
        long.extend_from_slice(b"\nafter x\n");
        assert_eq!(error_line(&long), Some(2));

        let mut joined = b"first x\nkey start\n".to_vec();
        let piece = vec![b'v'; 1000];
        for _ in 0..MAX_LOGICAL_LINE / 1000 + 1 {
            joined.push(b' ');
            joined.extend_from_slice(&piece);
            joined.push(b'\n');
        }
        assert_eq!(error_line(&joined), Some(2));

        let mut fits = b"key ".to_vec();
        fits.extend(std::iter::repeat_n(b'v', MAX_LOGICAL_LINE - 4));
        fits.push(b'\n');
        assert_eq!(error_line(&fits), None);
        assert_eq!(RecordReader::new(&fits[..]).count(), 1);
    }
}

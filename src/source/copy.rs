//! Editing a source while copying it, without holding the file: the
//! streaming forms of [`super::SourceFile::remove_lines`],
//! [`super::SourceFile::replace_value`], [`super::SourceFile::append_lines`]
//! and [`super::SourceFile::replace_line`], byte for byte.

use std::io::{self, BufRead, Write};
use std::ops::Range;

/// What [`copy_edited`] does with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEdit {
    /// The record's lines go.
    Remove,
    /// The record's value becomes this, as
    /// [`super::SourceFile::replace_value`] makes it.
    Rename(Vec<u8>),
}

/// One piece of output held back: its first and last 0-based input line
/// and its bytes (one line, or a renamed record's lines).
type Held = (usize, usize, Vec<u8>);

/// Copies `input` to `out` with the records of `edits` (their physical
/// lines, 0-based, sorted, not overlapping) removed or renamed, then
/// appends `append` (lines without line endings) as
/// [`super::SourceFile::append_lines`] would to the edited content. Byte
/// for byte what the in-memory model gives when the edits are made from
/// the last to the first and the lines appended after them; only one
/// record's lines are held at a time.
///
/// When the line just above a removed record makes `above(edit index,
/// line)` true (the line given without its `\n`), that line goes too
/// (ccert's comment describing the entry). As
/// [`super::SourceFile::remove_lines`] does, when removed lines end a file
/// that has no final newline, the line ending before them goes too, so the
/// file still ends without one. `eol` is the input's line ending
/// ([`super::SourceFile::line_ending`]).
pub fn copy_edited<I, S>(
    input: &mut impl BufRead,
    out: &mut impl Write,
    edits: &[(Range<usize>, LineEdit)],
    eol: &[u8],
    mut above: impl FnMut(usize, &[u8]) -> bool,
    append: I,
) -> io::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut out = Tracked::new(out);
    // The last piece read and not removed, held back one line so a removal
    // below can still take it; and the last piece passed on, held back so
    // its line ending can go when removed lines end the file.
    let mut held: Option<Held> = None;
    let mut last_kept: Option<Held> = None;
    let mut emit = |piece: Held, out: &mut Tracked<'_, _>| -> io::Result<()> {
        if let Some((_, _, previous)) = last_kept.replace(piece) {
            out.write_all(&previous)?;
        }
        Ok(())
    };
    let mut next = 0;
    let mut index = 0;
    let mut line = Vec::new();
    let mut record = Vec::new();
    let mut last_removed_unterminated = false;
    loop {
        line.clear();
        // The records were read (with the line limit) before they are edited.
        if super::read_line(input, &mut line, usize::MAX)?.unwrap_or(0) == 0 {
            break;
        }
        let kept = match edits.get(next) {
            Some((lines, LineEdit::Rename(value))) if lines.contains(&index) => {
                record.extend_from_slice(&line);
                if index + 1 < lines.end {
                    index += 1;
                    continue;
                }
                let mut one = super::SourceFile::parse(&record);
                one.replace_value(0..lines.len(), value)
                    .map_err(io::Error::other)?;
                record.clear();
                next += 1;
                Some((lines.start, index, one.to_bytes()))
            }
            Some((lines, LineEdit::Remove)) if lines.contains(&index) => {
                if index == lines.start
                    && let Some((_, held_last, text)) = &held
                    && *held_last + 1 == index
                    && above(next, text.strip_suffix(b"\n").unwrap_or(text))
                {
                    held = None;
                }
                if index + 1 == lines.end {
                    next += 1;
                }
                last_removed_unterminated = !line.ends_with(b"\n");
                None
            }
            _ => Some((index, index, line.clone())),
        };
        if let Some(piece) = kept {
            last_removed_unterminated = false;
            if let Some(h) = held.take() {
                emit(h, &mut out)?;
            }
            held = Some(piece);
        }
        index += 1;
    }
    if next < edits.len() {
        return Err(io::Error::other("the source changed while it was edited"));
    }
    if let Some(h) = held.take() {
        emit(h, &mut out)?;
    }
    if let Some((_, kept_last, mut text)) = last_kept {
        if last_removed_unterminated {
            // Back to the end of that line's content: the file's line
            // ending, or a bare LF for the file's first line (as
            // `append_lines` separated new lines from an unterminated one).
            let eol: &[u8] = if kept_last > 0 { eol } else { b"\n" };
            let cut = if text.ends_with(eol) { eol.len() } else { 1 };
            text.truncate(text.len() - cut);
        }
        out.write_all(&text)?;
    }
    // One entry at a time (ccert's comment and the entry line), each with
    // the line ending the file has when it is appended, as one
    // `SourceFile::append_lines` per entry sees it.
    let lines: Vec<S> = append.into_iter().collect();
    for entry in lines.chunks(2) {
        let added = super::appended_bytes(out.terminated(), out.line_ending(eol), entry);
        out.write_all(&added)?;
    }
    Ok(())
}

/// A writer that remembers what [`super::SourceFile`] would ask of the
/// bytes written: whether they end with a newline, and their line ending.
struct Tracked<'a, W: Write> {
    out: &'a mut W,
    /// The last byte written, if any.
    last: Option<u8>,
    /// Whether the first `\n` written followed a `\r`, once one was written.
    crlf: Option<bool>,
}

impl<'a, W: Write> Tracked<'a, W> {
    fn new(out: &'a mut W) -> Self {
        Self {
            out,
            last: None,
            crlf: None,
        }
    }

    fn terminated(&self) -> bool {
        self.last.is_none_or(|b| b == b'\n')
    }

    /// The line ending of what was written, or `read` (the input's) while
    /// no line break was written, as [`super::SourceFile::line_ending`].
    fn line_ending<'e>(&self, read: &'e [u8]) -> &'e [u8] {
        match self.crlf {
            Some(true) => b"\r\n",
            Some(false) => b"\n",
            None => read,
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.crlf.is_none()
            && let Some(i) = memchr::memchr(b'\n', bytes)
        {
            let before = if i > 0 { Some(bytes[i - 1]) } else { self.last };
            self.crlf = Some(before == Some(b'\r'));
        }
        self.last = bytes.last().copied();
        self.out.write_all(bytes)
    }
}

/// What [`copy_rewriting`] does with one record: new contents (without line
/// ending, as [`super::SourceFile::replace_line`] takes them) for the
/// record's first line and for the physical line right above it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewrite {
    /// The record's first line, or `None` to keep it.
    pub first: Option<Vec<u8>>,
    /// The line above the record, or `None` to keep it.
    pub above: Option<Vec<u8>>,
}

/// Copies `input` to `out`, letting `edit` rewrite the first line of each
/// record and the physical line right above it, as
/// [`super::SourceFile::replace_line`] does (each line keeps its line
/// ending, a CR of CRLF included). `records` are the records of the same
/// content, read separately (a [`super::RecordReader`] on its own reader),
/// so only the current line and the one above it are held, whatever the
/// file's size. `edit` gets the record, its first line and the line above
/// it (`None` on the first line), both without `\n` (a CR stays, as
/// [`super::SourceFile::line`] gives them; the line above as an earlier
/// rewrite left it).
pub fn copy_rewriting(
    input: &mut impl BufRead,
    records: impl IntoIterator<Item = io::Result<super::Record>>,
    out: &mut impl Write,
    mut edit: impl FnMut(&super::Record, &[u8], Option<&[u8]>) -> io::Result<Rewrite>,
) -> io::Result<()> {
    let mut records = records.into_iter();
    let mut next = records.next().transpose()?;
    let mut above: Option<Vec<u8>> = None;
    let mut line = Vec::new();
    let mut index = 0;
    loop {
        line.clear();
        // The records are read with the line limit; the copy needs none.
        if super::read_line(input, &mut line, usize::MAX)?.unwrap_or(0) == 0 {
            break;
        }
        if let Some(record) = next.take_if(|r| r.lines.start == index) {
            let content = line.strip_suffix(b"\n").unwrap_or(&line);
            let held = above.as_deref().map(|a| a.strip_suffix(b"\n").unwrap_or(a));
            let rewrite = edit(&record, content, held)?;
            if let (Some(new), Some(held)) = (rewrite.above, above.as_mut()) {
                replace_content(held, &new);
            }
            if let Some(new) = rewrite.first {
                replace_content(&mut line, &new);
            }
            next = records.next().transpose()?;
        }
        // The line becomes the one above the next; its buffer is reused.
        let spare = match above.take() {
            Some(previous) => {
                out.write_all(&previous)?;
                previous
            }
            None => Vec::new(),
        };
        above = Some(std::mem::replace(&mut line, spare));
        index += 1;
    }
    if let Some(last) = above {
        out.write_all(&last)?;
    }
    if next.is_some() {
        return Err(io::Error::other("the source changed while it was edited"));
    }
    Ok(())
}

/// Replaces the content of one physical line (with its `\n`, if any),
/// keeping its line ending: `\n`, and a CR before it or at the very end.
fn replace_content(line: &mut Vec<u8>, content: &[u8]) {
    let mut end = line.len() - usize::from(line.ends_with(b"\n"));
    if line[..end].ends_with(b"\r") {
        end -= 1;
    }
    line.splice(..end, content.iter().copied());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    const NO_LINES: [&[u8]; 0] = [];

    /// Every set of up to two ranges over small files with LF, CRLF and
    /// no final newline gives the bytes `remove_lines` gives.
    #[test]
    fn matches_remove_lines() {
        let files: [&[u8]; 6] = [
            b"a 1\nb 2\nc 3\n",
            b"a 1\nb 2\nc 3",
            b"a 1\r\nb 2\r\nc 3",
            b"a 1\nb 2\r\nc 3\r\nd 4",
            b"# c\na 1\n\nb 2",
            b"x",
        ];
        for file in files {
            let model = SourceFile::parse(file);
            let n = model.line_count();
            let mut cases: Vec<Vec<Range<usize>>> = Vec::new();
            for a in 0..n {
                for b in a + 1..=n {
                    cases.push(std::iter::once(a..b).collect());
                    for c in b + 1..n {
                        for d in c + 1..=n {
                            cases.push(vec![a..b, c..d]);
                        }
                    }
                }
            }
            for ranges in cases {
                let mut want = model.clone();
                for r in ranges.iter().rev() {
                    want.remove_lines(r.clone());
                }
                let mut got = Vec::new();
                let edits: Vec<(Range<usize>, LineEdit)> = ranges
                    .iter()
                    .map(|r| (r.clone(), LineEdit::Remove))
                    .collect();
                copy_edited(
                    &mut &file[..],
                    &mut got,
                    &edits,
                    model.line_ending(),
                    |_, _| false,
                    NO_LINES,
                )
                .unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(want.as_bytes()),
                    "{:?} without {ranges:?}",
                    String::from_utf8_lossy(file)
                );
            }
        }
    }

    #[test]
    fn takes_the_line_above_when_asked() {
        let file = b"# note a\na 1\n# note b\nb 2\nc 3\n";
        let mut got = Vec::new();
        let edits = [(1..2, LineEdit::Remove), (3..4, LineEdit::Remove)];
        copy_edited(
            &mut &file[..],
            &mut got,
            &edits,
            b"\n",
            |r, line| r == 1 && line == b"# note b",
            NO_LINES,
        )
        .unwrap();
        assert_eq!(got, b"# note a\nc 3\n");
    }

    /// Renaming through the copy gives the bytes `replace_value` gives,
    /// continuation lines, CRLF and a missing final newline included.
    #[test]
    fn matches_replace_value() {
        let files: [&[u8]; 5] = [
            b"a 1\nb 2\nc 3\n",
            b"a 1\r\nb two\r\n  more\r\nc 3",
            b"# c\na 1\n\tcont\n\nb 2",
            b"a  spaced value  \nb 2",
            b"x y",
        ];
        for file in files {
            let model = SourceFile::parse(file);
            let (records, _) = model.records();
            for pick in 1u32..(1 << records.len()) {
                let renames: Vec<(Range<usize>, Vec<u8>)> = records
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| pick & (1 << i) != 0)
                    .map(|(i, r)| (r.lines.clone(), format!("new{i}").into_bytes()))
                    .collect();
                let mut want = model.clone();
                for (lines, value) in renames.iter().rev() {
                    want.replace_value(lines.clone(), value).unwrap();
                }
                let mut got = Vec::new();
                let edits: Vec<(Range<usize>, LineEdit)> = renames
                    .iter()
                    .map(|(r, v)| (r.clone(), LineEdit::Rename(v.clone())))
                    .collect();
                copy_edited(
                    &mut &file[..],
                    &mut got,
                    &edits,
                    model.line_ending(),
                    |_, _| false,
                    NO_LINES,
                )
                .unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(want.as_bytes()),
                    "{:?} renaming {renames:?}",
                    String::from_utf8_lossy(file)
                );
            }
        }
    }

    /// Rewriting first lines and the lines above them through the copy
    /// gives the bytes `replace_line` gives, CRLF, continuation lines,
    /// comments and a missing final newline included.
    #[test]
    fn matches_replace_line() {
        let files: [&[u8]; 6] = [
            b"a 1\nb 2\nc 3\n",
            b"# x\r\na 1\r\n# y\r\nb two\r\n  more\r\nc 3",
            b"# c\na 1\n\tcont\n# d\n\nb 2\r",
            b"a 1\n# note\n  cont\nb 2\n\n",
            b"x y",
            b"",
        ];
        for file in files {
            let model = SourceFile::parse(file);
            let (records, _) = model.records();
            for pick in 0u32..(1 << (2 * records.len())) {
                let chosen = |i: usize, what: u32| pick & (1 << (2 * i as u32 + what)) != 0;
                let mut want = model.clone();
                for (i, r) in records.iter().enumerate() {
                    if chosen(i, 1) && r.lines.start > 0 {
                        want.replace_line(r.lines.start - 1, format!("# above {i}").as_bytes());
                    }
                    if chosen(i, 0) {
                        let mut first = format!("K{i}").into_bytes();
                        first.extend_from_slice(&want.line(r.lines.start)[r.key.len()..]);
                        want.replace_line(r.lines.start, &first);
                    }
                }
                let mut got = Vec::new();
                let mut i = 0;
                copy_rewriting(
                    &mut &file[..],
                    records.iter().cloned().map(Ok),
                    &mut got,
                    |r, first, above| {
                        assert_eq!(first, model.line(r.lines.start));
                        assert_eq!(above.is_some(), r.lines.start > 0);
                        let mut rewrite = Rewrite::default();
                        if chosen(i, 0) {
                            let mut new = format!("K{i}").into_bytes();
                            new.extend_from_slice(&first[r.key.len()..]);
                            rewrite.first = Some(new);
                        }
                        if chosen(i, 1) {
                            rewrite.above = Some(format!("# above {i}").into_bytes());
                        }
                        i += 1;
                        Ok(rewrite)
                    },
                )
                .unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(want.as_bytes()),
                    "{:?} with {pick:b}",
                    String::from_utf8_lossy(file)
                );
            }
        }
    }
}

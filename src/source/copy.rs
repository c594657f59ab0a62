//! Editing a source while copying it, without holding the file: the
//! streaming forms of [`super::SourceFile::remove_lines`],
//! [`super::SourceFile::replace_value`] and [`super::SourceFile::replace_line`],
//! byte for byte.

use std::io::{self, BufRead, Write};
use std::ops::Range;

/// Copies `input` to `out` without the physical lines in `remove` (0-based,
/// sorted, not overlapping). When the line just above a range makes
/// `above(range index, line)` true (the line given without its `\n`), that
/// line goes too (ccert's comment describing a removed entry). As
/// `remove_lines` does, when the removed lines end a file that has no final
/// newline, the line ending before them goes too, so the file still ends
/// without one. `eol` is the file's line ending ([`super::SourceFile::line_ending`]).
pub fn copy_without(
    input: &mut impl BufRead,
    out: &mut impl Write,
    remove: &[Range<usize>],
    eol: &[u8],
    mut above: impl FnMut(usize, &[u8]) -> bool,
) -> io::Result<()> {
    // The last line read and not removed, held back one line so a range
    // below can still take it; and the last line passed on, held back so
    // its line ending can go when removed lines end the file.
    let mut held: Option<(usize, Vec<u8>)> = None;
    let mut last_kept: Option<(usize, Vec<u8>)> = None;
    let mut emit = |line: (usize, Vec<u8>), out: &mut dyn Write| -> io::Result<()> {
        if let Some((_, previous)) = last_kept.replace(line) {
            out.write_all(&previous)?;
        }
        Ok(())
    };
    let mut range = 0;
    let mut index = 0;
    let mut line = Vec::new();
    let mut last_removed_unterminated = false;
    loop {
        line.clear();
        // The records were read (with the line limit) before lines are removed.
        if super::read_line(input, &mut line, usize::MAX)?.unwrap_or(0) == 0 {
            break;
        }
        let removed = match remove.get(range) {
            Some(r) if index == r.start => {
                if let Some((above_index, text)) = &held
                    && *above_index + 1 == index
                    && above(range, text.strip_suffix(b"\n").unwrap_or(text))
                {
                    held = None;
                }
                true
            }
            Some(r) => r.contains(&index),
            None => false,
        };
        if let Some(r) = remove.get(range)
            && index + 1 >= r.end
            && removed
        {
            range += 1;
        }
        if removed {
            last_removed_unterminated = !line.ends_with(b"\n");
        } else {
            last_removed_unterminated = false;
            if let Some(h) = held.take() {
                emit(h, out)?;
            }
            held = Some((index, line.clone()));
        }
        index += 1;
    }
    if let Some(h) = held.take() {
        emit(h, out)?;
    }
    if let Some((kept_index, mut text)) = last_kept {
        if last_removed_unterminated {
            // Back to the end of that line's content: the file's line
            // ending, or a bare LF for the file's first line (as
            // `append_lines` separated new lines from an unterminated one).
            let eol: &[u8] = if kept_index > 0 { eol } else { b"\n" };
            let cut = if text.ends_with(eol) { eol.len() } else { 1 };
            text.truncate(text.len() - cut);
        }
        out.write_all(&text)?;
    }
    Ok(())
}

/// Copies `input` to `out` with the value of each record in `renames`
/// (its physical lines, 0-based, sorted, not overlapping) replaced, as
/// [`super::SourceFile::replace_value`] does, byte for byte: only one
/// record's lines are held at a time.
pub fn copy_renaming(
    input: &mut impl BufRead,
    out: &mut impl Write,
    renames: &[(Range<usize>, Vec<u8>)],
) -> io::Result<()> {
    let mut next = renames.iter().peekable();
    let mut record = Vec::new();
    let mut index = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        // The records were read (with the line limit) before they are renamed.
        if super::read_line(input, &mut line, usize::MAX)?.unwrap_or(0) == 0 {
            break;
        }
        match next.peek() {
            Some((lines, value)) if lines.contains(&index) => {
                record.extend_from_slice(&line);
                if index + 1 == lines.end {
                    let mut one = super::SourceFile::parse(&record);
                    one.replace_value(0..lines.len(), value)
                        .map_err(io::Error::other)?;
                    out.write_all(one.as_bytes())?;
                    record.clear();
                    next.next();
                }
            }
            _ => out.write_all(&line)?,
        }
        index += 1;
    }
    if next.peek().is_some() {
        return Err(io::Error::other("the source changed while it was edited"));
    }
    Ok(())
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
                copy_without(
                    &mut &file[..],
                    &mut got,
                    &ranges,
                    model.line_ending(),
                    |_, _| false,
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
        copy_without(&mut &file[..], &mut got, &[1..2, 3..4], b"\n", |r, line| {
            r == 1 && line == b"# note b"
        })
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
                copy_renaming(&mut &file[..], &mut got, &renames).unwrap();
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

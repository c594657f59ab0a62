//! A lossless model of a postmap source file, with postmap's reading rules.
//!
//! [`SourceFile`] keeps every byte of the file, so an edit touches only its
//! own lines and `to_bytes()` of an unedited model returns the input. Reading
//! follows postmap (see `shared/docs/postfix-map-formats.md` §1.1): comment
//! lines (first non-blank character `#`), blank lines, whitespace-led
//! continuation lines that join the previous logical line (skipping comments
//! and blanks between them), double-quoted keys, CR of CRLF stripped with the
//! value's trailing whitespace.

use std::io::BufRead;
use std::ops::Range;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based physical line number.
    pub line: usize,
    /// postmap's warning text (without file and line).
    pub message: String,
}

/// The parsed file.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    _private: (),
}

impl SourceFile {
    /// Parses file content (any bytes; nothing is rejected).
    pub fn parse(bytes: &[u8]) -> Self {
        let _ = bytes;
        unimplemented!("source helper")
    }

    /// The file content, byte-identical to the input when unedited.
    pub fn to_bytes(&self) -> Vec<u8> {
        unimplemented!("source helper")
    }

    /// The records postmap would store, in file order (duplicates included),
    /// and the lines it would skip with its warnings.
    pub fn records(&self) -> (Vec<Record>, Vec<Problem>) {
        unimplemented!("source helper")
    }
}

/// One item from [`RecordReader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A record postmap would store.
    Record(Record),
    /// A line postmap would skip.
    Problem(Problem),
}

/// Streams records from a source without holding the whole file, with the
/// same rules as [`SourceFile::records`] (compile uses it so memory stays
/// bounded on million-line maps).
pub struct RecordReader<R: BufRead> {
    _input: R,
}

impl<R: BufRead> RecordReader<R> {
    /// Reads from `input`.
    pub fn new(input: R) -> Self {
        Self { _input: input }
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = std::io::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        unimplemented!("source helper")
    }
}

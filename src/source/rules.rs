//! postmap's reading rules, shared by [`super::SourceFile`] and
//! [`super::RecordReader`]: the physical-line classifier, the joiner that
//! builds logical lines, and the logical-line → key/value splitter.

use std::ops::Range;

/// Postfix `ISSPACE`: ASCII `isspace` (space, TAB, LF, VT, FF, CR).
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// What a physical line (without its `\n`) is to postmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// Empty or whitespace only: ignored.
    Blank,
    /// First non-whitespace character `#` (also when indented): ignored.
    Comment,
    /// Starts with whitespace: continues the previous logical line.
    Continuation,
    /// Starts a new logical line.
    Start,
}

/// Classifies one physical line (without its `\n`).
pub(crate) fn classify(line: &[u8]) -> LineKind {
    match line.iter().position(|&b| !is_space(b)) {
        None => LineKind::Blank,
        Some(i) if line[i] == b'#' => LineKind::Comment,
        Some(0) => LineKind::Start,
        Some(_) => LineKind::Continuation,
    }
}

/// One logical line: the joined text and the physical lines it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogicalLine {
    /// The physical lines' contents concatenated (comments and blanks between
    /// them left out), leading whitespace of continuations kept.
    pub text: Vec<u8>,
    /// 0-based first physical line.
    pub first: usize,
    /// 0-based last physical line that contributed text.
    pub last: usize,
}

/// Builds logical lines from physical lines fed one at a time.
#[derive(Debug, Default)]
pub(crate) struct Joiner {
    current: Option<LogicalLine>,
}

impl Joiner {
    /// Feeds physical line `index` (0-based, without `\n`). Returns the
    /// previous logical line when this line starts a new one.
    pub fn push(&mut self, index: usize, line: &[u8]) -> Option<LogicalLine> {
        match classify(line) {
            LineKind::Blank | LineKind::Comment => None,
            LineKind::Continuation if self.current.is_some() => {
                let cur = self.current.as_mut().expect("checked above");
                cur.text.extend_from_slice(line);
                cur.last = index;
                None
            }
            // A start line, or a continuation with nothing to continue (that
            // one becomes a logical line beginning with whitespace, which
            // `parse_logical` rejects as postmap does).
            LineKind::Continuation | LineKind::Start => self.current.replace(LogicalLine {
                text: line.to_vec(),
                first: index,
                last: index,
            }),
        }
    }

    /// Ends the input; returns the last logical line, if any.
    pub fn finish(&mut self) -> Option<LogicalLine> {
        self.current.take()
    }
}

/// Warning postmap prints for a `key: value` record (the record is still stored).
pub const ALIAS_FORMAT_WARNING: &str = "record is in \"key: value\" format; is this an alias file?";

/// What postmap makes of one logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A record: key and value as byte ranges of the logical text.
    Record {
        /// The key's range.
        key: Range<usize>,
        /// The value's range (leading and trailing whitespace excluded).
        value: Range<usize>,
        /// The key ends in `:` (stored, but postmap warns).
        alias_warning: bool,
    },
    /// The line is skipped, with this warning.
    Skip(String),
}

/// Splits a logical line as postmap does.
pub(crate) fn parse_logical(text: &[u8]) -> Parsed {
    // C strings: postmap sees the line only up to its first NUL byte.
    let text = match text.iter().position(|&b| b == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    if text.first().is_some_and(|&b| is_space(b)) {
        return Parsed::Skip(format!(
            "logical line must not start with whitespace: \"{}\"",
            printable(text)
        ));
    }
    // smtputf8_enable = yes (Debian's default): non-ASCII lines must be UTF-8.
    if !text.is_ascii() && std::str::from_utf8(text).is_err() {
        return Parsed::Skip(format!(
            "non-UTF-8 input \"{}\" -- ignoring this line",
            printable(text)
        ));
    }
    let mut i = 0;
    let mut in_quotes = false;
    while i < text.len() {
        let b = text[i];
        if b == b'\\' && i + 1 < text.len() {
            // The backslash and the character it protects both stay in the key.
            i += 2;
            continue;
        }
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && is_space(b) {
            break;
        }
        i += 1;
    }
    if in_quotes {
        return Parsed::Skip(format!(
            "unbalanced '\"' in '{}' -- ignoring this line",
            printable(text)
        ));
    }
    let key = 0..i;
    let mut start = i;
    while start < text.len() && is_space(text[start]) {
        start += 1;
    }
    let mut end = text.len();
    while end > start && is_space(text[end - 1]) {
        end -= 1;
    }
    if key.is_empty() || start == end {
        return Parsed::Skip("expected format: key whitespace value".to_string());
    }
    Parsed::Record {
        alias_warning: text[i - 1] == b':',
        key,
        value: start..end,
    }
}

/// Text for a warning: UTF-8 where valid, control characters as `?`.
pub(crate) fn printable(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(text: &[u8]) -> (Vec<u8>, Vec<u8>) {
        match parse_logical(text) {
            Parsed::Record { key, value, .. } => (text[key].to_vec(), text[value].to_vec()),
            Parsed::Skip(m) => panic!("skipped: {m}"),
        }
    }

    fn skip(text: &[u8]) -> String {
        match parse_logical(text) {
            Parsed::Skip(m) => m,
            other => panic!("not skipped: {other:?}"),
        }
    }

    #[test]
    fn classifies_lines() {
        assert_eq!(classify(b""), LineKind::Blank);
        assert_eq!(classify(b" \t\r"), LineKind::Blank);
        assert_eq!(classify(b"  # x"), LineKind::Comment);
        assert_eq!(classify(b"#"), LineKind::Comment);
        assert_eq!(classify(b"\x0bx"), LineKind::Continuation);
        assert_eq!(classify(b"k v"), LineKind::Start);
        assert_eq!(classify(b"\0"), LineKind::Start);
        assert_eq!(classify(b"  \0"), LineKind::Continuation);
    }

    #[test]
    fn splits_like_postmap() {
        assert_eq!(rec(b"k v"), (b"k".to_vec(), b"v".to_vec()));
        assert_eq!(rec(b"k\\ x y"), (b"k\\ x".to_vec(), b"y".to_vec()));
        assert_eq!(rec(b"\"q k\" v \r"), (b"\"q k\"".to_vec(), b"v".to_vec()));
        assert_eq!(
            rec(b"\"a\\\" b\" v"),
            (b"\"a\\\" b\"".to_vec(), b"v".to_vec())
        );
        assert_eq!(rec(b"k v\0al"), (b"k".to_vec(), b"v".to_vec()));
        assert_eq!(rec(b"k4 v # x"), (b"k4".to_vec(), b"v # x".to_vec()));
        assert_eq!(rec(b"r\rs t"), (b"r".to_vec(), b"s t".to_vec()));
        assert!(skip(b"noval").starts_with("expected format"));
        assert!(skip(b"k\0 v").starts_with("expected format"));
        assert!(skip(b"\\ v").starts_with("expected format"));
        assert!(skip(b"\"unbal v").starts_with("unbalanced"));
        assert!(skip(b"\"a\\").starts_with("unbalanced"));
        assert!(skip(b"b \xff").starts_with("non-UTF-8"));
        assert!(skip(b"c \xed\xa0\x80").starts_with("non-UTF-8"));
        assert!(skip(b"  x").starts_with("logical line must not start"));
        assert!(matches!(
            parse_logical(b"x: y"),
            Parsed::Record {
                alias_warning: true,
                ..
            }
        ));
    }
}

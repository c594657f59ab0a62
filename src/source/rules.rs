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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogicalLine<'a> {
    /// The physical lines' contents concatenated (comments and blanks between
    /// them left out), leading whitespace of continuations kept.
    pub text: &'a [u8],
    /// 0-based first physical line.
    pub first: usize,
    /// 0-based last physical line that contributed text.
    pub last: usize,
}

/// Builds logical lines from physical lines fed one at a time, in one
/// buffer that is reused from line to line (no allocation per line).
#[derive(Debug, Default)]
pub(crate) struct Joiner {
    text: Vec<u8>,
    first: usize,
    last: usize,
    /// `text` holds a logical line not yet handed out.
    active: bool,
}

/// What [`Joiner`] does with a physical line's bytes.
enum Action {
    Ignore,
    Extend,
    Start,
}

impl Joiner {
    /// Feeds physical line `index` (0-based, without `\n`). When this line
    /// starts a new logical line, the previous one is first passed to `done`.
    pub fn push(&mut self, index: usize, line: &[u8], done: impl FnOnce(LogicalLine<'_>)) {
        match self.action(index, line, done) {
            Action::Ignore => {}
            Action::Extend => self.text.extend_from_slice(line),
            Action::Start => {
                self.text.clear();
                self.text.extend_from_slice(line);
            }
        }
    }

    /// Bytes of the logical line being joined (0 when none is pending) and
    /// its first physical line (0-based), for the line-length limit.
    pub fn pending(&self) -> (usize, usize) {
        if self.active {
            (self.text.len(), self.first)
        } else {
            (0, 0)
        }
    }

    /// [`Self::push`] for a line in a buffer the caller reuses: a line that
    /// starts a logical line is swapped in instead of copied, and `line` is
    /// left holding some other bytes (the caller clears it before reuse).
    pub fn push_owned(
        &mut self,
        index: usize,
        line: &mut Vec<u8>,
        done: impl FnOnce(LogicalLine<'_>),
    ) {
        match self.action(index, line, done) {
            Action::Ignore => {}
            Action::Extend => self.text.extend_from_slice(line),
            Action::Start => std::mem::swap(&mut self.text, line),
        }
    }

    /// Classifies `line`, hands out the finished logical line when `line`
    /// starts a new one, and updates the line numbers.
    fn action(&mut self, index: usize, line: &[u8], done: impl FnOnce(LogicalLine<'_>)) -> Action {
        match classify(line) {
            LineKind::Blank | LineKind::Comment => Action::Ignore,
            LineKind::Continuation if self.active => {
                self.last = index;
                Action::Extend
            }
            // A start line, or a continuation with nothing to continue (that
            // one becomes a logical line beginning with whitespace, which
            // `parse_logical` rejects as postmap does).
            LineKind::Continuation | LineKind::Start => {
                self.finish(done);
                self.active = true;
                self.first = index;
                self.last = index;
                Action::Start
            }
        }
    }

    /// Ends the input: passes the last logical line, if any, to `done`.
    pub fn finish(&mut self, done: impl FnOnce(LogicalLine<'_>)) {
        if std::mem::take(&mut self.active) {
            done(LogicalLine {
                text: &self.text,
                first: self.first,
                last: self.last,
            });
        }
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
    parse_plain(text).unwrap_or_else(|| parse_general(text))
}

/// The fast path of [`parse_logical`] for the common line: a key of plain
/// printable ASCII (no quote, backslash, NUL, control or non-ASCII byte)
/// ended by whitespace, then a non-empty value. Returns `None` for every
/// other line, which [`parse_general`] then handles; for the lines it
/// accepts, the result is the one `parse_general` gives.
fn parse_plain(text: &[u8]) -> Option<Parsed> {
    let i = first_special(text)?;
    // A key can't be empty, and must end at whitespace, not at a byte that
    // needs the general rules.
    if i == 0 || !is_space(text[i]) {
        return None;
    }
    // The key holds no NUL (it would be special), so the NUL cut, the UTF-8
    // check and the trimming concern only the rest. ASCII + valid UTF-8 is
    // valid UTF-8, so checking the rest alone is enough.
    let rest = &text[i..];
    let rest = match memchr::memchr(0, rest) {
        Some(nul) => &rest[..nul],
        None => rest,
    };
    if !rest.is_ascii() && std::str::from_utf8(rest).is_err() {
        return None;
    }
    let start = rest.iter().position(|&b| !is_space(b))?;
    let end = rest.iter().rposition(|&b| !is_space(b))? + 1;
    Some(Parsed::Record {
        alias_warning: text[i - 1] == b':',
        key: 0..i,
        value: i + start..i + end,
    })
}

/// Whether `b` matters to key splitting beyond being a plain key byte:
/// whitespace, NUL and other control characters, `"`, `\\`, or non-ASCII.
fn is_special(b: u8) -> bool {
    b <= b' ' || b == b'"' || b == b'\\' || b >= 0x80
}

/// Index of the first [`is_special`] byte, eight bytes at a time.
fn first_special(text: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte of the result set where that byte of `x` is
    // below `n` (n <= 0x80). Borrows can only set bits above the first true
    // hit, so the lowest set bit is exact, which is all that is used.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut chunks = text.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let mask = below(x, 0x21)
            | (x & HIGH)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1);
        if mask != 0 {
            return Some(base + mask.trailing_zeros() as usize / 8);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| is_special(b))
        .map(|i| base + i)
}

/// The general rules of [`parse_logical`], for any line.
fn parse_general(text: &[u8]) -> Parsed {
    // C strings: postmap sees the line only up to its first NUL byte.
    let text = match memchr::memchr(0, text) {
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
    fn finds_the_first_special_byte() {
        for len in 0..40 {
            for pos in 0..=len {
                for special in [b' ', b'\t', 0, 0x1f, b'"', b'\\', 0x80, 0xff] {
                    let mut text = vec![b'a'; len];
                    for (i, b) in text.iter_mut().enumerate() {
                        // Plain bytes around every class boundary.
                        *b = [b'!', b'#', b'[', b']', b'~', 0x7f, b'z'][i % 7];
                    }
                    if pos < len {
                        text[pos] = special;
                        // Specials after the first must not matter.
                        for b in text.iter_mut().skip(pos + 1).step_by(3) {
                            *b = 0;
                        }
                    }
                    let want = text.iter().position(|&b| is_special(b));
                    assert_eq!(first_special(&text), want, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn fast_path_agrees_with_general_rules() {
        let lines: [&[u8]; 14] = [
            b"k v",
            b"ab:cd  value with spaces \r",
            b"k: v",
            b"k v\0rest",
            b"k \0v",
            b"k \xc3\xa4",
            b"k \xff",
            b"k \t ",
            b"key\"q v",
            b"k\\ v w",
            b"0123456789abcdef:0123 x\x0by",
            b"k v \"unbalanced",
            b"k",
            b"",
        ];
        for line in lines {
            if let Some(fast) = parse_plain(line) {
                assert_eq!(fast, parse_general(line), "{line:?}");
            }
            assert_eq!(parse_logical(line), parse_general(line), "{line:?}");
        }
        assert!(parse_plain(b"k v").is_some());
        assert!(parse_plain(b"k\\ v").is_none());
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

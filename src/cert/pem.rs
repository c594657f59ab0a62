//! A tolerant PEM scanner.
//!
//! It finds every `-----BEGIN <label>-----` … `-----END <label>-----` block in
//! a byte string, the way OpenSSL's PEM reader does: any text may stand
//! before, between and after the blocks (`openssl x509 -text` writes a dump
//! before the block), lines may end in CRLF, and a UTF-8 byte-order mark at
//! the start is ignored. Bodies are only decoded on request
//! ([`PemBlock::decode`]), so blocks ccert skips (keys, requests) are never
//! decoded and their contents never matter.
//!
//! The scanner works on bytes (the text around blocks need not be UTF-8),
//! never recurses and allocates at most a small amount per block line.
//!
//! Why not the `pem` crate: it silently drops a truncated last block (a
//! certificate cut short by a copy and paste must be an error naming the
//! line), it requires canonical base64 padding where OpenSSL accepts
//! unpadded bodies and non-zero trailing bits, and its errors carry no line
//! numbers, which every message about a damaged file here gives.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";

/// Base64 as PEM bodies use it: the standard alphabet, padding optional
/// (OpenSSL accepts both), non-zero trailing bits tolerated.
const PEM_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// What is wrong with the PEM structure of a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// A BEGIN line with no matching END line before the end of the file.
    #[error(
        "`-----BEGIN {label}-----` has no `-----END {label}-----` line; \
         the file is truncated — copy the whole block again"
    )]
    Unterminated {
        /// The block label (`CERTIFICATE`).
        label: String,
        /// Line number (from 1) of the BEGIN line.
        line: usize,
    },
    /// An END line that does not match the open BEGIN line, or a BEGIN inside a block.
    #[error(
        "found `{found}` inside the `{label}` block that begins on line {begin}; \
         a block must end with `-----END {label}-----` before the next begins"
    )]
    Mismatched {
        /// The label of the open block.
        label: String,
        /// Line number of the open block's BEGIN line.
        begin: usize,
        /// The offending line (shortened).
        found: String,
        /// Its line number.
        line: usize,
    },
    /// A body that is not valid base64.
    #[error("the `{label}` block is not valid base64 ({detail}); the file is damaged")]
    Base64 {
        /// The block label.
        label: String,
        /// Line number of the offending body line (or of the BEGIN line when unknown).
        line: usize,
        /// What the decoder found.
        detail: String,
    },
}

impl PemError {
    /// The line (from 1) the error is about.
    pub fn line(&self) -> usize {
        match self {
            Self::Unterminated { line, .. }
            | Self::Mismatched { line, .. }
            | Self::Base64 { line, .. } => *line,
        }
    }
}

/// One `-----BEGIN …-----` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock<'a> {
    /// The label between `BEGIN ` and the dashes (`CERTIFICATE`, `PRIVATE KEY`, …).
    pub label: String,
    /// Line number (from 1) of the BEGIN line.
    pub begin_line: usize,
    /// Line number of the END line.
    pub end_line: usize,
    /// The body lines (line number, bytes without surrounding whitespace),
    /// RFC 1421 headers (`Proc-Type: …`) and the blank line after them removed.
    body: Vec<(usize, &'a [u8])>,
}

impl PemBlock<'_> {
    /// Decodes the base64 body.
    pub fn decode(&self) -> Result<Vec<u8>, PemError> {
        let mut text = Vec::new();
        // Where each body line starts in `text`, to turn a decoder offset into a line number.
        let mut starts = Vec::with_capacity(self.body.len());
        for (line, bytes) in &self.body {
            starts.push((text.len(), *line));
            // Whitespace inside a line (rare, but OpenSSL skips it) is dropped too.
            text.extend(bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        }
        let line_of = |offset: usize| {
            starts
                .iter()
                .rev()
                .find(|(start, _)| *start <= offset)
                .map_or(self.begin_line, |(_, line)| *line)
        };
        PEM_BASE64.decode(&text).map_err(|e| {
            use base64::DecodeError as D;
            let (line, detail) = match e {
                D::InvalidByte(off, b) => (line_of(off), format!("unexpected {}", show_byte(b))),
                D::InvalidLastSymbol(off, b) => {
                    (line_of(off), format!("bad final symbol {}", show_byte(b)))
                }
                D::InvalidLength(_) => (
                    self.end_line.saturating_sub(1).max(self.begin_line),
                    "its length is not a whole number of base64 groups".to_string(),
                ),
                D::InvalidPadding => (
                    self.end_line.saturating_sub(1).max(self.begin_line),
                    "bad `=` padding".to_string(),
                ),
            };
            PemError::Base64 {
                label: self.label.clone(),
                line,
                detail,
            }
        })
    }
}

fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("character `{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// Whether `bytes` contains a line that begins a PEM block.
pub fn looks_like_pem(bytes: &[u8]) -> bool {
    lines(bytes).any(|(_, l)| begin_label(l).is_some())
}

/// Finds every PEM block in `bytes`, in order. Text outside blocks is ignored.
pub fn scan(bytes: &[u8]) -> Result<Vec<PemBlock<'_>>, PemError> {
    let mut blocks = Vec::new();
    let mut open: Option<PemBlock<'_>> = None;
    // True while the open block's first lines look like RFC 1421 headers.
    let mut in_headers = false;
    for (line_no, line) in lines(bytes) {
        match open.as_mut() {
            None => {
                if let Some(label) = begin_label(line) {
                    open = Some(PemBlock {
                        label: String::from_utf8_lossy(label).into_owned(),
                        begin_line: line_no,
                        end_line: 0,
                        body: Vec::new(),
                    });
                    in_headers = false;
                }
            }
            Some(block) => {
                if let Some(label) = end_label(line) {
                    if label != block.label.as_bytes() {
                        return Err(mismatched(block, line, line_no));
                    }
                    block.end_line = line_no;
                    blocks.extend(open.take());
                    continue;
                }
                if begin_label(line).is_some() {
                    return Err(mismatched(block, line, line_no));
                }
                let trimmed = line.trim_ascii();
                if block.body.is_empty() && !in_headers && trimmed.contains(&b':') {
                    in_headers = true;
                }
                if in_headers {
                    // Headers end at the first blank line; continuation lines start with space.
                    if trimmed.is_empty() {
                        in_headers = false;
                    }
                    continue;
                }
                if !trimmed.is_empty() {
                    block.body.push((line_no, trimmed));
                }
            }
        }
    }
    match open {
        Some(block) => Err(PemError::Unterminated {
            label: block.label,
            line: block.begin_line,
        }),
        None => Ok(blocks),
    }
}

fn mismatched(block: &PemBlock<'_>, line: &[u8], line_no: usize) -> PemError {
    let shown: String = String::from_utf8_lossy(line.trim_ascii())
        .chars()
        .take(60)
        .collect();
    PemError::Mismatched {
        label: block.label.clone(),
        begin: block.begin_line,
        found: shown,
        line: line_no,
    }
}

/// Lines with their numbers (from 1), without the line end (`\n` or `\r\n`).
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// The label of a `-----BEGIN <label>-----` line (trailing whitespace allowed).
fn begin_label(line: &[u8]) -> Option<&[u8]> {
    delimited(line, BEGIN)
}

/// The label of a `-----END <label>-----` line.
fn end_label(line: &[u8]) -> Option<&[u8]> {
    delimited(line, END)
}

fn delimited<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let label = line
        .trim_ascii_end()
        .strip_prefix(prefix)?
        .strip_suffix(DASHES)?;
    let ok = !label.is_empty()
        && label.first() != Some(&b'-')
        && label.last() != Some(&b'-')
        && label.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
    ok.then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "MIIBszCCAVmgAwIBAgIU\nAAAA\n";

    fn block(label: &str, body: &str) -> String {
        format!("-----BEGIN {label}-----\n{body}-----END {label}-----\n")
    }

    #[test]
    fn finds_blocks_among_text() {
        let text = format!(
            "Certificate:\n    Data: ...\n{}between\n{}trailer",
            block("CERTIFICATE", BODY),
            block("PRIVATE KEY", "AAAA\n")
        );
        let blocks = scan(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].begin_line, 3);
        assert_eq!(blocks[0].end_line, 6);
        assert_eq!(blocks[1].label, "PRIVATE KEY");
        assert_eq!(blocks[0].decode().unwrap().len(), 18);
    }

    #[test]
    fn crlf_bom_and_trailing_blanks() {
        let text = format!("\u{feff}{}", block("CERTIFICATE", BODY)).replace('\n', " \r\n");
        let blocks = scan(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].decode().unwrap().len(), 18);
    }

    #[test]
    fn no_final_newline_and_unpadded() {
        let text = "-----BEGIN CERTIFICATE-----\nAAE\n-----END CERTIFICATE-----";
        let blocks = scan(text.as_bytes()).unwrap();
        assert_eq!(blocks[0].decode().unwrap(), vec![0, 1]);
    }

    #[test]
    fn truncated_block() {
        let err = scan(b"junk\n-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap_err();
        assert_eq!(
            err,
            PemError::Unterminated {
                label: "CERTIFICATE".into(),
                line: 2
            }
        );
        assert!(err.to_string().contains("truncated"));
    }

    #[test]
    fn mismatched_end_and_nested_begin() {
        let err =
            scan(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap_err();
        assert!(matches!(
            err,
            PemError::Mismatched {
                line: 3,
                begin: 1,
                ..
            }
        ));
        let text = format!(
            "-----BEGIN CERTIFICATE-----\nAAAA\n{}",
            block("CERTIFICATE", BODY)
        );
        let err = scan(text.as_bytes()).unwrap_err();
        assert!(matches!(err, PemError::Mismatched { line: 3, .. }), "{err}");
    }

    #[test]
    fn bad_base64_names_the_line() {
        let text = block("CERTIFICATE", "AAAA\nAA*A\nAAAA\n");
        let err = scan(text.as_bytes()).unwrap()[0].decode().unwrap_err();
        match &err {
            PemError::Base64 { line, detail, .. } => {
                assert_eq!(*line, 3);
                assert!(detail.contains('*'), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        let text = block("CERTIFICATE", "AAAAA\n");
        assert!(scan(text.as_bytes()).unwrap()[0].decode().is_err());
    }

    #[test]
    fn headers_are_skipped() {
        let text = block(
            "CERTIFICATE",
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAE=\n",
        );
        assert_eq!(
            scan(text.as_bytes()).unwrap()[0].decode().unwrap(),
            vec![0, 1]
        );
    }

    #[test]
    fn not_delimiters() {
        assert!(!looks_like_pem(b"-----BEGIN -----\n"));
        assert!(!looks_like_pem(b" -----BEGIN CERTIFICATE-----\n"));
        assert!(!looks_like_pem(b"-----BEGIN CERTIFICATE----\n"));
        assert!(!looks_like_pem(b"-----BEGIN CERT\x01-----\n"));
        assert!(looks_like_pem(b"x\n-----BEGIN X509 CERTIFICATE-----\n"));
        assert!(scan(b"").unwrap().is_empty());
        assert!(scan(b"\n\n-----END CERTIFICATE-----\n").unwrap().is_empty());
    }

    #[test]
    fn empty_body_decodes_to_nothing() {
        let text = block("CERTIFICATE", "");
        assert!(
            scan(text.as_bytes()).unwrap()[0]
                .decode()
                .unwrap()
                .is_empty()
        );
    }
}

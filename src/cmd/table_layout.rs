//! How `ccert list` lays out its table on a terminal, for file lists
//! (`cmd/list.rs`) and database lists (`cmd/store_edge.rs`) alike: the width
//! to fit and how long fingerprints are shortened. Shared here because
//! commands never depend on each other.

/// The width a table must fit: `COLUMNS` when set (as `ls` honours it),
/// else the terminal's, else 100 columns for pipes and files.
pub(crate) fn width() -> u16 {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
    {
        return cols;
    }
    let mut probe = comfy_table::Table::new();
    probe.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    probe.width().unwrap_or(100)
}

/// Widths above which full fingerprints (SHA-256: 95 columns) still leave
/// room for the other columns.
pub(crate) const FULL_FINGERPRINTS_FROM: u16 = 150;

/// `AB:CD:EF:01:…:89:AB` for a long fingerprint: enough to tell entries
/// apart; `--format plain` and `json` print the whole key.
pub(crate) fn shorten(key: &str) -> String {
    if key.len() <= SHORTEN_FROM {
        return key.to_string();
    }
    format!("{}…{}", &key[..SHORT_HEAD], &key[key.len() - SHORT_TAIL..])
}

/// The most bytes of a key or name a table cell shows: a logical line
/// may be 1 MiB long, and laying out (wrapping) a cell costs time and
/// memory that grow faster than its length; `--format plain` and `json`
/// print everything.
pub(crate) const MAX_CELL: usize = 160;

/// The first [`MAX_CELL`] bytes of `text` (cut on a UTF-8 character
/// boundary when it is UTF-8) and how many bytes were left out. Cheap on
/// any length: nothing past the cut is looked at.
pub(crate) fn clip(text: &[u8]) -> (&[u8], usize) {
    if text.len() <= MAX_CELL {
        return (text, 0);
    }
    let mut cut = MAX_CELL;
    // Back off over UTF-8 continuation bytes (at most three).
    while cut > MAX_CELL - 4 && text[cut] & 0xc0 == 0x80 {
        cut -= 1;
    }
    (&text[..cut], text.len() - cut)
}

/// Text for a table cell: at most [`MAX_CELL`] bytes of `text` (then
/// how many more there are), control and bidi characters escaped.
pub(crate) fn cell(text: &[u8]) -> String {
    let (head, left_out) = clip(text);
    let mut cell = crate::cert::name::terminal_safe(&String::from_utf8_lossy(head)).into_owned();
    if left_out > 0 {
        cell.push_str(&format!("… (+{left_out} bytes; --format plain shows all)"));
    }
    cell
}

/// Fingerprints longer than this (in bytes, all ASCII) are shortened.
pub(crate) const SHORTEN_FROM: usize = 24;
/// A shortened fingerprint's first and last bytes.
const SHORT_HEAD: usize = 12;
const SHORT_TAIL: usize = 5;
/// A shortened fingerprint's width: its two ends and the ellipsis.
pub(crate) const SHORTENED_WIDTH: usize = SHORT_HEAD + 1 + SHORT_TAIL;

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
pub(crate) const MAX_CELL: usize = 256;

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
    let mut cell = crate::text::terminal_safe(&String::from_utf8_lossy(head)).into_owned();
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

/// Tables with more rows than this are streamed in chunks of this many
/// rows with fixed column widths ([`write_chunk`]) instead of laid out
/// whole: comfy-table holds every cell of the table it lays out (3.4 GB
/// for a million entries).
pub(crate) const STREAM_ROWS_FROM: usize = 2000;

/// A cell's padding in the tables' preset: one blank each side.
pub(crate) const PADDING: usize = 2;

/// Content widths for a streamed table `width` columns wide: `widest`
/// holds the widest cell of each column over every row (at least its
/// header), and the two `flexible` columns (names, notes) share what the
/// others leave, at least 4 each. The first column (the key) never takes
/// more than half the width, and gives way on a narrow terminal: a longer
/// cell wraps.
pub(crate) fn fixed_widths<const N: usize>(
    mut widths: [usize; N],
    flexible: [usize; 2],
    width: u16,
) -> [usize; N] {
    let width = usize::from(width);
    widths[0] = widths[0].min(width / 2).max(4);
    for i in flexible {
        widths[i] = 0;
    }
    // The preset draws no outer border but keeps a blank between columns.
    let used: usize = widths.iter().map(|w| w + PADDING).sum::<usize>() + N - 1;
    let short = (used + 2 * 4).saturating_sub(width);
    widths[0] = widths[0].saturating_sub(short).max(4);
    let left = width.saturating_sub(used - short.min(used));
    widths[flexible[0]] = (left / 2).max(4);
    widths[flexible[1]] = (left - left / 2).max(4);
    widths
}

/// Writes `rows` as chunk number `index` of a streamed table: laid out by
/// comfy-table with every column fixed at `widths` (content widths, see
/// [`fixed_widths`]), so that the chunks read as one table. Only the first
/// chunk has the header.
pub(crate) fn write_chunk<const N: usize>(
    out: &mut impl std::io::Write,
    header: &[&str; N],
    rows: &[[String; N]],
    widths: &[usize; N],
    width: u16,
    index: usize,
) -> std::io::Result<()> {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(width);
    if index == 0 {
        table.set_header(header.iter());
    }
    for row in rows {
        table.add_row(row.iter());
    }
    for (i, w) in widths.iter().enumerate() {
        if let Some(column) = table.column_mut(i) {
            let w = u16::try_from(*w + PADDING).unwrap_or(u16::MAX);
            column.set_constraint(comfy_table::ColumnConstraint::Absolute(
                comfy_table::Width::Fixed(w),
            ));
        }
    }
    let text = table.to_string();
    // A later chunk's top border would double the line that closes the
    // chunk before it, which reads as the rule between two rows.
    for line in text.lines().skip(usize::from(index > 0)) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

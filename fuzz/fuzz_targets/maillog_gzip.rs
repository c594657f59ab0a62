//! Compressed mail logs: the bytes as a (possibly broken) gzip stream, and
//! the bytes compressed with a prefix of zeros (an endless line), through
//! `maillog::sources::reader` and `maillog::read_into`. Never panics, never
//! keeps more than `MAX_LINE` of a line: an over-long line is counted.
#![no_main]

use std::io::Write as _;

use ccert::maillog::{Collector, MAX_LINE, read_into, sources};
use libfuzzer_sys::fuzz_target;

fn read(bytes: Vec<u8>) -> Option<u64> {
    let mut input = sources::reader(std::io::Cursor::new(bytes)).ok()?;
    let mut collector = Collector::default();
    let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    // A broken stream is an error, never a panic.
    let stats = read_into(&mut input, &mut collector, None, now, time::UtcOffset::UTC).ok()?;
    for row in collector.finish() {
        assert!(row.connections >= 1);
        assert!(row.client.len() <= MAX_LINE);
    }
    Some(stats.long_lines)
}

fuzz_target!(|data: &[u8]| {
    // As a gzip stream of its own (the magic added when missing).
    let mut raw = vec![0x1f, 0x8b];
    raw.extend_from_slice(data.strip_prefix(&[0x1f, 0x8b][..]).unwrap_or(data));
    read(raw);
    // Compressed: the first byte says how many KiB of zeros come first.
    let zeros = usize::from(data.first().copied().unwrap_or(0)) * 1024;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&vec![0u8; zeros]).unwrap();
    gz.write_all(data).unwrap();
    let long = read(gz.finish().unwrap()).expect("a valid gzip stream reads");
    if zeros > MAX_LINE {
        assert!(long >= 1, "{zeros} zeros without a line end were kept");
    }
});

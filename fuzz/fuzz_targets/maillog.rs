//! Mail-log reader: any bytes, as lines, through the parser and the collector.
//! Never panics; every fingerprint it returns is hex pairs joined by `:`;
//! every row counts at least one connection.
#![no_main]

use ccert::maillog::parse::{Event, parse_line};
use ccert::maillog::{Collector, read_into};
use libfuzzer_sys::fuzz_target;

fn hex_pairs(s: &str) -> bool {
    !s.is_empty()
        && s.split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        if let Some(parsed) = parse_line(line) {
            match parsed.event {
                Event::Certificate {
                    cert_fp, pkey_fp, ..
                } => {
                    assert!(cert_fp.is_none_or(hex_pairs) && pkey_fp.is_none_or(hex_pairs));
                }
                Event::RawKey { pkey_fp, .. } => assert!(hex_pairs(pkey_fp)),
                Event::RcptRejected { code, .. } => assert!((400..600).contains(&code)),
                Event::Disconnect { .. } => {}
            }
        }
    }
    let mut collector = Collector::default();
    let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    read_into(
        &mut &data[..],
        &mut collector,
        None,
        now,
        time::UtcOffset::UTC,
    )
    .expect("reading from memory cannot fail");
    for row in collector.finish() {
        assert!(row.connections >= 1);
        assert!(row.first_seen <= row.last_seen);
    }
});

//! SMTP replies from a hostile server: any bytes through
//! `probe::smtp::read_reply`, reply after reply. Never panics; every reply
//! it returns is within the line and size limits; an argument check never
//! lets a control character through.
#![no_main]

use ccert::probe::smtp::{self, MAX_LINE, MAX_REPLY_BYTES, MAX_REPLY_LINES, read_reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    while let Ok(reply) = read_reply(&mut input) {
        assert!((0..=999).contains(&reply.code));
        let lines: Vec<&str> = reply.text.split('\n').collect();
        assert!(lines.len() <= MAX_REPLY_LINES);
        assert!(
            reply.text.len() <= MAX_REPLY_BYTES * 3,
            "lossy text grows at most 3x"
        );
        assert!(lines.iter().all(|l| l.len() <= (MAX_LINE + 1) * 3));
    }
    let text = String::from_utf8_lossy(data);
    if smtp::one_line(&text).is_ok() {
        assert!(!text.chars().any(char::is_control));
    }
});

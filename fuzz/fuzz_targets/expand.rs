//! main.cf parameter expansion on arbitrary values: errors, never panics or hangs.
//!
//! The input is UTF-8 lines: the first is the value to expand, every other
//! `name=value` line defines a parameter the expansion may refer to.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let value = lines.next().unwrap_or_default();
    let params: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once('=')).collect();
    let lookup = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    };
    let _ = ccert::postfix::expand::expand(value, &lookup);
});

//! Berkeley DB hash reader on arbitrary files: errors, never panics or hangs.
#![no_main]

use ccert::maps::Table;
use ccert::maps::hash::HashTable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("ccert-fuzz-hash-{}.db", std::process::id()));
    std::fs::write(&path, data).unwrap();
    if let Ok(mut table) = HashTable::open(&path) {
        let _ = table.get(b"probe");
        let _ = table.get(b"");
        if let Ok(entries) = table.entries() {
            for (k, _) in entries.iter().take(16) {
                let _ = table.get(k);
            }
        }
    }
});

//! LMDB reader on arbitrary files: the pre-open check (`maps/lmdb/reader.rs`)
//! must refuse every file LMDB itself could not read safely, so opening,
//! looking up and walking never crash (SIGSEGV/SIGBUS/abort in liblmdb),
//! panic or hang.
#![no_main]

use ccert::maps::Table;
use ccert::maps::lmdb::LmdbTable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("ccert-fuzz-lmdb-{}.lmdb", std::process::id()));
    std::fs::write(&path, data).unwrap();
    if let Ok(mut table) = LmdbTable::open(&path) {
        let _ = table.get(b"probe");
        let _ = table.get(b"");
        if let Ok(entries) = table.entries() {
            for (k, _) in entries.iter().take(16) {
                let _ = table.get(k);
            }
        }
    }
});

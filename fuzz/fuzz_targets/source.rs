//! Source parser: the lossless model and the streaming RecordReader must
//! never panic and must agree with each other.
#![no_main]

use ccert::source::{Item, RecordReader, SourceFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = SourceFile::parse(data);
    assert_eq!(file.to_bytes(), data, "model is not lossless");
    let (records, problems) = file.records();
    let mut streamed = Vec::new();
    let mut streamed_problems = Vec::new();
    for item in RecordReader::new(data) {
        match item.expect("reading from memory cannot fail") {
            Item::Record(r) => streamed.push(r),
            Item::Problem(p) => streamed_problems.push(p),
            // Comments are what the model keeps between records.
            Item::Comment(..) => {}
        }
    }
    assert_eq!(
        records, streamed,
        "RecordReader disagrees with SourceFile::records"
    );
    assert_eq!(problems, streamed_problems, "problems disagree");
});

//! The source-file model: lossless round trip, the streaming reader agreeing
//! with the in-memory model, and agreement with the real `postmap` on a
//! corpus of tricky files (hand-written and generated).

use std::collections::HashSet;
use std::io::BufReader;
use std::path::Path;

use ccert::source::{Item, Problem, Record, RecordReader, SourceFile};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use crate::oracle;

/// Bytes that matter to postmap's rules, plus any byte now and then.
fn tricky_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        8 => prop::sample::select(vec![
            b' ', b'\t', b'\n', b'\n', b'\n', b'\r', b'#', b'"', b'\\', b':', b'\0', 0x0b,
            b'a', b'b', b'K', b'k', b'v', b'1', 0xc3, 0xa9, 0xff,
        ]),
        1 => any::<u8>(),
    ]
}

fn tricky_file() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(tricky_byte(), 0..200)
}

fn reader_items(input: &[u8], capacity: usize) -> (Vec<Record>, Vec<Problem>) {
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for item in RecordReader::new(BufReader::with_capacity(capacity, input)) {
        match item.expect("reading from memory") {
            Item::Record(r) => records.push(r),
            Item::Problem(p) => problems.push(p),
            Item::Comment(..) => unreachable!("comments only come when asked for"),
        }
    }
    (records, problems)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_then_to_bytes_is_identity(bytes in tricky_file()) {
        prop_assert_eq!(SourceFile::parse(&bytes).to_bytes(), bytes);
    }

    #[test]
    fn parse_then_to_bytes_is_identity_for_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(SourceFile::parse(&bytes).to_bytes(), bytes);
    }

    #[test]
    fn reader_agrees_with_records(bytes in tricky_file(), capacity in 1usize..16) {
        let model = SourceFile::parse(&bytes).records();
        prop_assert_eq!(reader_items(&bytes, capacity), model);
    }

    #[test]
    fn append_then_remove_restores_bytes(bytes in tricky_file()) {
        let mut file = SourceFile::parse(&bytes);
        let before = file.records().0;
        let added = file.append_lines(["# ccert: added=2026-11-23", "AB:CD host"]);
        let after = file.records().0;
        // The new entry is read as written, after everything that was there.
        let last = after.last().expect("appended record");
        prop_assert_eq!(&last.key, b"AB:CD");
        prop_assert_eq!(&last.value, b"host");
        prop_assert_eq!(&after[..after.len() - 1], &before[..]);
        file.remove_lines(added);
        prop_assert_eq!(file.to_bytes(), bytes);
    }
}

/// A hand-written corpus of the awkward cases postmap's rules cover.
pub const CORPUS: &[&[u8]] = &[
    b"",
    b"\n\n",
    b"key1 value\n# comment\n  more\n\tk2 orphan-continuation\n",
    b"  first-line-indented\nkey v\n",
    b"  x\n  y\n#c\n \n\tz\nk v\n",
    b"KeyTwo value two   \n  continued part\n",
    b"a b\r\n\r\nc d\r\n  e\r\n",
    b"a b\nnovalue\n\n\nc d\n",
    b"a b\nk\\ x y\n\"q k\" v\n\"unbal v\nx: y\n",
    b"a b\nkey1 v\0al\nke\0y2 val\n\0x y\nz w\n",
    b"a b\nk1 v\n  \0cont\nz w\n",
    b"a b\n\"unbal\n  more v\n#c\n  x\nnoval\n\n  \n",
    b"ab\"cd ef\" v\nq\\\"x y\" z\nk\\\n",
    b"a \xc3\xa9\nb \xff\nc \xed\xa0\x80\nd \xc0\xaf\ne \xf4\x90\x80\x80\nf \xf0\x9f\x98\x80\n",
    b"a b\n\xc3\n  \xa9 x\n",
    b"\"a\\\" b\" v\nx\x0by\nz\x0cw\nr\rs t\n\x0bcont\n",
    b"k \"a b\" c\n\"\" v\n\\ v\nkk \"\n",
    b"a b\n#c\n\n  x\n  # not a comment? it is\n",
    b"key4 value # not a comment\n",
    b"AB:CD:EF one\nab:cd:ef two\nAb:Cd:Ef three\n",
    b"dup 1\ndup 2\n  cont\n",
    b"no final newline here",
    b"k v\n  ",
    b"k v\r\n  # c\r\n  w\r",
    b"#only a comment",
    b"\x00",
    b"k\t\tv\t \r\n",
];

/// The records postmap stores: folded keys, first of duplicates kept, as
/// `postmap -s` prints them (`key<TAB>value`), sorted.
pub fn expected_dump(records: &[Record]) -> Vec<Vec<u8>> {
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for r in records {
        let key = fold(&r.key);
        if seen.insert(key.clone()) {
            let mut line = key;
            line.push(b'\t');
            line.extend_from_slice(&r.value);
            lines.push(line);
        }
    }
    lines.sort();
    lines
}

/// postmap's folding for the keys in these tests (ASCII, or UTF-8 whose
/// lower case equals its case fold).
pub fn fold(key: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(key) {
        Ok(s) => s.to_lowercase().into_bytes(),
        Err(_) => key.to_ascii_lowercase(),
    }
}

/// A Postfix configuration directory for postmap inside `dir`, created once.
///
/// Debian's main.cf sets compatibility_level = 3.6, which turns on
/// smtputf8_enable (the UTF-8 check postmap applies to each line). The
/// file's mtime is set an hour back: Postfix programs pause for a while when
/// main.cf was modified within the last seconds.
pub fn postmap_config(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("postmap-config");
    let main_cf = config.join("main.cf");
    if !main_cf.exists() {
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(&main_cf, "compatibility_level = 3.6\n").unwrap();
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&main_cf)
            .unwrap()
            .set_modified(past)
            .unwrap();
    }
    config
}

/// Builds `hash:<file>` with the real postmap and returns `postmap -s`
/// lines (sorted) and the warnings it printed (duplicate warnings left out).
pub fn postmap_dump(postmap: &Path, dir: &Path, file: &Path) -> (Vec<Vec<u8>>, Vec<String>) {
    let config = postmap_config(dir);
    let map = format!("hash:{}", file.display());
    let config = config.to_str().unwrap();
    let build = oracle::run(postmap, &["-c", config, &map]);
    assert!(
        build.status.success(),
        "postmap failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&build.stderr)
    );
    let warnings = String::from_utf8_lossy(&build.stderr)
        .lines()
        .filter(|l| !l.contains("duplicate entry"))
        .map(str::to_string)
        .collect();
    let dump = oracle::run(postmap, &["-c", config, "-s", &map]);
    assert!(dump.status.success());
    let mut lines: Vec<Vec<u8>> = dump
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    lines.sort();
    (lines, warnings)
}

fn check_against_postmap(postmap: &Path, dir: &Path, n: usize, bytes: &[u8]) {
    let file = dir.join(format!("map{n}"));
    std::fs::write(&file, bytes).unwrap();
    let (records, problems) = SourceFile::parse(bytes).records();
    let (dump, warnings) = postmap_dump(postmap, dir, &file);
    let show = String::from_utf8_lossy(bytes);
    assert_eq!(
        dump,
        expected_dump(&records),
        "records differ from postmap -s for {show:?}"
    );
    assert_eq!(
        warnings.len(),
        problems.len(),
        "warnings differ for {show:?}: postmap {warnings:#?}, model {problems:#?}"
    );
    // Where postmap names a line, it is the one the model names.
    for (w, p) in warnings.iter().zip(&problems) {
        if let Some(rest) = w.split(", line ").nth(1) {
            let line: usize = rest.split(':').next().unwrap().parse().unwrap();
            assert_eq!(line, p.line, "line numbers differ for {show:?}: {w}");
        }
    }
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn model_agrees_with_postmap_on_tricky_corpus() {
    let Some(postmap) = oracle::require("postmap", "model_agrees_with_postmap_on_tricky_corpus")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (n, bytes) in CORPUS.iter().enumerate() {
        check_against_postmap(&postmap, dir.path(), n, bytes);
    }
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn model_agrees_with_postmap_on_generated_files() {
    let Some(postmap) = oracle::require("postmap", "model_agrees_with_postmap_on_generated_files")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A fixed seed: the same 400 files every run (failures reproduce).
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        ProptestConfig::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let strategy = tricky_file();
    for n in 0..400 {
        let bytes = strategy.new_tree(&mut runner).unwrap().current();
        check_against_postmap(&postmap, dir.path(), n, &bytes);
    }
}

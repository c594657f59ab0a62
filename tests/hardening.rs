//! Hardening: ccert under hostile sources, corrupt tables, concurrent
//! edits, planted symlinks and narrowed modes.
//!
//! Every run here goes through [`guarded`]: the binary runs under
//! `ulimit -v` (so a huge allocation fails instead of passing unnoticed)
//! and is killed if it does not finish within a generous hang guard, which
//! fails the test. A panic exits 101 and a crash is killed by a signal, so
//! asserting the exit code (1 for an error) proves neither happened.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::oracle;
use crate::test::{Finished, Test, fixtures};

/// Address-space limit for every guarded run, in KiB (ulimit -v). Large
/// enough for the debug binary and its threads; far below what an
/// allocation sized from a corrupt length field (2^31 buckets, 4 GiB
/// records) would need.
const MEM_LIMIT_KB: u64 = 1_500_000;

/// A run that takes longer than this is taken for a hang (the slowest
/// legitimate run here takes well under a second).
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A scratch directory with an empty Postfix configuration directory.
pub fn scratch() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("ccert-harden")
        .tempdir()
        .unwrap();
    fs::create_dir_all(dir.path().join("postfix-config")).unwrap();
    dir
}

/// ccert in `dir` under the memory limit and the hang guard.
pub fn guarded(dir: &Path) -> Test {
    Test::at(dir)
        .wrapped([
            "sh".to_string(),
            "-c".to_string(),
            format!("ulimit -v {MEM_LIMIT_KB}; exec \"$0\" \"$@\""),
        ])
        .timeout(HANG_GUARD)
}

/// A guarded run that must fail cleanly: exit 1 (no panic, no signal) and
/// an error naming `file`.
fn fails_cleanly(dir: &Path, args: &[&str], file: &str, what: &str) -> Finished {
    guarded(dir)
        .args(args)
        .note(what)
        .status(1)
        .stderr_contains("ccert: error")
        .stderr_contains(file)
        .stderr_lacks("panicked")
        .run()
}

/// A guarded run on a damaged table that may still answer: exit 0 with
/// nothing on standard error, or exit 1 (a miss, silent, or an error naming
/// `file`); never a panic or a signal.
fn does_not_crash(dir: &Path, args: &[&str], file: &str, what: &str) -> Finished {
    let run = guarded(dir)
        .args(args)
        .note(what)
        .status_among(&[0, 1])
        .any_stderr()
        .stderr_lacks("panicked")
        .run();
    assert!(
        run.stderr.is_empty()
            || (run.status == 1
                && run.stderr.starts_with("ccert: error")
                && run.stderr.contains(file)),
        "{what}: exit {}, stderr: {}",
        run.status,
        run.stderr
    );
    run
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// The source every corrupt-table test starts from: 300 short entries and
/// one 10,000-byte value (an overflow chain in hash files).
fn table_source() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..300 {
        s.push_str(&format!("key{i} value{i}\n"));
    }
    s.push_str(&format!("longkey {}\n", "v".repeat(10_000)));
    s.into_bytes()
}

/// Compiles `map` of `kind` in `dir` and returns the table's bytes.
fn build_table(dir: &Path, kind: &str) -> Vec<u8> {
    fs::write(dir.join("map"), table_source()).unwrap();
    guarded(dir).args(["compile", &format!("{kind}:map")]).run();
    fs::read(dir.join(format!("map.{kind}"))).unwrap_or_else(|_| {
        fs::read(dir.join(match kind {
            "hash" => "map.db",
            other => panic!("no table for {other}"),
        }))
        .unwrap()
    })
}

/// Writes `bytes` as the table and runs `dump` and `query` on it.
/// `strict`: the damage is one every read must notice (exit 1 naming the file).
fn check_damaged(dir: &Path, kind: &str, table: &str, bytes: &[u8], what: &str, strict: bool) {
    fs::write(dir.join(table), bytes).unwrap();
    let map = format!("{kind}:map");
    let check = if strict {
        fails_cleanly
    } else {
        does_not_crash
    };
    check(dir, &["dump", &map], table, &format!("dump, {what}"));
    check(
        dir,
        &["query", "no-such-key", &map],
        table,
        &format!("query miss, {what}"),
    );
    check(
        dir,
        &["query", "key7", &map],
        table,
        &format!("query hit, {what}"),
    );
    check(
        dir,
        &["query", "longkey", &map],
        table,
        &format!("query long, {what}"),
    );
}

/// Random files and truncations of a good table: every read fails cleanly.
fn random_and_truncated(kind: &str, table: &str, good: &[u8], page: usize, dir: &Path) {
    let mut rng = Rng::new(0x5eed ^ good.len() as u64);
    for n in [1, 100, 511, 512, 2048, 4096, 3 * 4096, 40_000] {
        let bytes = rng.bytes(n);
        check_damaged(dir, kind, table, &bytes, &format!("{n} random bytes"), true);
    }
    let len = good.len();
    let mut cuts = vec![
        0,
        1,
        100,
        page - 1,
        page,
        page + 1,
        len / 2,
        len - page,
        len - 1,
    ];
    cuts.retain(|&c| c < len);
    for cut in cuts {
        check_damaged(
            dir,
            kind,
            table,
            &good[..cut],
            &format!("truncated to {cut} of {len} bytes"),
            true,
        );
    }
}

fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn get_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn get_u16(bytes: &[u8], at: usize) -> usize {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize
}

#[test]
fn corrupt_hash_tables_fail_cleanly() {
    let dir = scratch();
    let dir = dir.path();
    let good = build_table(dir, "hash");
    let ps = get_u32(&good, 20) as usize;
    assert_eq!(good.len() % ps, 0);
    random_and_truncated("hash", "map.db", &good, ps, dir);

    // Meta pages claiming absurd geometry.
    let meta = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "2^31 buckets",
            meta(&|b| {
                put_u32(b, 72, 0x7fff_ffff);
                put_u32(b, 76, 0xffff_ffff);
                put_u32(b, 80, 0x7fff_ffff);
            }),
        ),
        ("page size 0", meta(&|b| put_u32(b, 20, 0))),
        ("page size 3", meta(&|b| put_u32(b, 20, 3))),
        ("page size 2^20", meta(&|b| put_u32(b, 20, 1 << 20))),
        ("last page 2^32-1", meta(&|b| put_u32(b, 32, u32::MAX))),
        (
            "masks wider than max_bucket",
            meta(&|b| {
                put_u32(b, 76, 0xffff_ffff);
                put_u32(b, 80, 0xffff_ffff);
            }),
        ),
        (
            "spares pointing past the file",
            meta(&|b| {
                for i in 0..32 {
                    put_u32(b, 96 + 4 * i, 0x7fff_0000);
                }
            }),
        ),
        ("version 7", meta(&|b| put_u32(b, 16, 7))),
        ("bad magic", meta(&|b| put_u32(b, 12, 0x1234))),
    ];
    for (what, bytes) in &cases {
        let strict = *what != "masks wider than max_bucket";
        check_damaged(dir, "hash", "map.db", bytes, what, strict);
    }

    // Page-level damage, found by walking the pages ccert wrote.
    let npages = good.len() / ps;
    let kind_of = |b: &[u8], p: usize| b[p * ps + 25];
    let mut looped = good.clone();
    let mut shared = good.clone();
    let mut long_overflow = good.clone();
    let mut overfull = good.clone();
    let mut overflow_loop = good.clone();
    let (mut offpage_items, mut overflow_pages) = (0, 0);
    for p in 1..npages {
        let at = p * ps;
        match kind_of(&good, p) {
            2 | 13 => {
                put_u32(&mut looped, at + 16, p as u32);
                put_u32(&mut shared, at + 16, 1);
                for i in 0..get_u16(&good, at + 20) {
                    let item = at + get_u16(&good, at + 26 + 2 * i);
                    if good[item] == 3 {
                        put_u32(&mut long_overflow, item + 8, 0x7fff_ffff);
                        offpage_items += 1;
                    }
                }
            }
            7 => {
                overfull[at + 22..at + 24].copy_from_slice(&u16::MAX.to_le_bytes());
                put_u32(&mut overflow_loop, at + 16, p as u32);
                overflow_pages += 1;
            }
            _ => {}
        }
    }
    assert!(
        offpage_items > 0 && overflow_pages > 1,
        "no overflow chain to damage"
    );
    check_damaged(dir, "hash", "map.db", &looped, "every chain loops", false);
    check_damaged(
        dir,
        "hash",
        "map.db",
        &shared,
        "every chain joins page 1",
        false,
    );
    check_damaged(
        dir,
        "hash",
        "map.db",
        &long_overflow,
        "overflow length 2^31",
        false,
    );
    check_damaged(
        dir,
        "hash",
        "map.db",
        &overfull,
        "overflow page over-full",
        false,
    );
    check_damaged(
        dir,
        "hash",
        "map.db",
        &overflow_loop,
        "overflow chain loops",
        false,
    );
    for (what, bytes) in [
        ("every chain loops", &looped),
        ("every chain joins page 1", &shared),
        ("overflow length 2^31", &long_overflow),
        ("overflow page over-full", &overfull),
        ("overflow chain loops", &overflow_loop),
    ] {
        fs::write(dir.join("map.db"), bytes).unwrap();
        fails_cleanly(
            dir,
            &["dump", "hash:map"],
            "map.db",
            &format!("dump, {what}"),
        );
    }
    // The long value sits on an overflow chain: damaged chains fail its lookup.
    for (what, bytes) in [
        ("overflow length 2^31", &long_overflow),
        ("overflow page over-full", &overfull),
        ("overflow chain loops", &overflow_loop),
    ] {
        fs::write(dir.join("map.db"), bytes).unwrap();
        fails_cleanly(
            dir,
            &["query", "longkey", "hash:map"],
            "map.db",
            &format!("query longkey, {what}"),
        );
    }
    // A miss must walk its chain to the end, so a loop is found.
    fs::write(dir.join("map.db"), &looped).unwrap();
    fails_cleanly(
        dir,
        &["query", "no-such-key", "hash:map"],
        "map.db",
        "query miss, every chain loops",
    );

    // Whole pages overwritten with random bytes.
    let mut rng = Rng::new(99);
    for p in (1..npages).step_by(npages.div_ceil(12).max(1)) {
        let mut b = good.clone();
        b[p * ps..(p + 1) * ps].copy_from_slice(&rng.bytes(ps));
        check_damaged(
            dir,
            "hash",
            "map.db",
            &b,
            &format!("page {p} overwritten"),
            false,
        );
        fails_cleanly(
            dir,
            &["dump", "hash:map"],
            "map.db",
            &format!("dump, page {p} overwritten"),
        );
    }
}

#[test]
fn corrupt_cdb_tables_fail_cleanly() {
    let dir = scratch();
    let dir = dir.path();
    let good = build_table(dir, "cdb");
    random_and_truncated("cdb", "map.cdb", &good, 2048, dir);
    let eod = get_u32(&good, 0) as usize;
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    let strict: Vec<(&str, Vec<u8>)> = vec![
        (
            "every table past the file",
            with(&|b| {
                for t in 0..256 {
                    put_u32(b, 8 * t, 0xffff_fff0);
                }
            }),
        ),
        (
            "2^29 slots per table",
            with(&|b| {
                for t in 0..256 {
                    put_u32(b, 8 * t + 4, 0x2000_0000);
                }
            }),
        ),
        ("end of records 0", with(&|b| put_u32(b, 0, 0))),
    ];
    for (what, bytes) in &strict {
        check_damaged(dir, "cdb", "map.cdb", bytes, what, true);
    }
    // Records claiming 4 GiB keys or values.
    let huge_key = with(&|b| put_u32(b, 2048, u32::MAX));
    let huge_value = with(&|b| put_u32(b, 2052, 0xffff_fff0));
    for (what, bytes) in [
        ("key length 2^32-1", &huge_key),
        ("value length 2^32-16", &huge_value),
    ] {
        check_damaged(dir, "cdb", "map.cdb", bytes, what, false);
        fs::write(dir.join("map.cdb"), bytes).unwrap();
        fails_cleanly(
            dir,
            &["dump", "cdb:map"],
            "map.cdb",
            &format!("dump, {what}"),
        );
    }
    // Slots pointing anywhere, and records overwritten with random bytes.
    let mut rng = Rng::new(7);
    let mut slots = good.clone();
    let noise = rng.bytes(good.len() - eod);
    slots[eod..].copy_from_slice(&noise);
    check_damaged(dir, "cdb", "map.cdb", &slots, "slots overwritten", false);
    let all_ff = with(&|b| b[eod..].fill(0xff));
    check_damaged(dir, "cdb", "map.cdb", &all_ff, "slots all 0xff", false);
    let mut records = good.clone();
    let noise = rng.bytes(eod - 2048);
    records[2048..eod].copy_from_slice(&noise);
    check_damaged(
        dir,
        "cdb",
        "map.cdb",
        &records,
        "records overwritten",
        false,
    );
}

#[test]
fn corrupt_lmdb_tables_fail_cleanly() {
    let dir = scratch();
    let dir = dir.path();
    let good = build_table(dir, "lmdb");
    random_and_truncated("lmdb", "map.lmdb", &good, 4096, dir);
}

/// Source of the page-overwrite tests: 3,000 entries and one value long
/// enough for a 3-page overflow run.
fn big_lmdb_source() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..3000 {
        s.push_str(&format!("key{i} value{i}\n"));
    }
    s.push_str(&format!("longkey {}\n", "v".repeat(10_000)));
    s.into_bytes()
}

/// Overwrites each page from 2 on of the table `good` (one at a time) with
/// zeros, 0xFF bytes and three random patterns, and runs `dump` and
/// `query` on each. Returns how many variants `dump` refused; every run
/// exits 0 or 1 and an error names the file.
/// Damage patterns per page: zeros, 0xFF and random bytes (three random
/// patterns and three keys queried under `CCERT_INTEROP=1`, one and one in
/// a plain `cargo test`, which keeps the module well under a minute).
fn lmdb_patterns() -> (usize, &'static [&'static str]) {
    if oracle::interop_required() {
        (5, &["key2999", "longkey", "no-such-key"])
    } else {
        (3, &["longkey"])
    }
}

fn overwrite_each_lmdb_page(dir: &Path, good: &[u8]) -> usize {
    let (patterns, keys) = lmdb_patterns();
    const PAGE: usize = 4096;
    let mut rng = Rng::new(0x1d_b0 ^ good.len() as u64);
    let mut refused = 0;
    let mut codes = std::collections::BTreeMap::new();
    for page in 2..good.len() / PAGE {
        let mut fills = vec![vec![0u8; PAGE], vec![0xff; PAGE]];
        fills.extend((2..patterns).map(|_| rng.bytes(PAGE)));
        for (n, fill) in fills.iter().enumerate() {
            let mut bytes = good.to_vec();
            bytes[page * PAGE..(page + 1) * PAGE].copy_from_slice(fill);
            fs::write(dir.join("map.lmdb"), &bytes).unwrap();
            let what = format!("page {page} overwritten with pattern {n}");
            let dump = does_not_crash(
                dir,
                &["dump", "lmdb:map"],
                "map.lmdb",
                &format!("dump, {what}"),
            );
            *codes.entry(("dump", dump.status)).or_insert(0) += 1;
            if dump.status == 1 {
                // A dump reads every page: a refusal is an error, never silent.
                assert!(!dump.stderr.is_empty(), "dump, {what}: exit 1, no error");
                refused += 1;
            }
            for &key in keys {
                let query = does_not_crash(
                    dir,
                    &["query", key, "lmdb:map"],
                    "map.lmdb",
                    &format!("query {key}, {what}"),
                );
                *codes.entry(("query", query.status)).or_insert(0) += 1;
                // A lookup checks only the pages on its own path: it fails
                // cleanly or answers as the undamaged table does (only the
                // overflow tail pages, plain value bytes, can change a value).
                if (query.status == 1 && !query.stderr.is_empty()) || key == "longkey" {
                    continue;
                }
                let want: &[u8] = if key == "key2999" {
                    b"value2999\n"
                } else {
                    b""
                };
                assert_eq!(
                    query.stdout_bytes, want,
                    "query {key}, {what}: exit {}",
                    query.status
                );
            }
        }
    }
    let variants = patterns * (good.len() / PAGE - 2);
    eprintln!("{variants} damaged variants, {refused} refused; exit codes {codes:?}");
    refused
}

#[test]
fn lmdb_pages_overwritten_fail_cleanly() {
    let dir = scratch();
    let dir = dir.path();
    fs::write(dir.join("map"), big_lmdb_source()).unwrap();
    guarded(dir).args(["compile", "lmdb:map"]).run();
    let good = fs::read(dir.join("map.lmdb")).unwrap();
    let pages = good.len() / 4096;
    let refused = overwrite_each_lmdb_page(dir, &good);
    // ccert writes a compact file: every page from 2 on is a tree page or
    // part of the one 3-page overflow run, whose two header-less tail pages
    // are plain value bytes. Everything else must be refused.
    assert_eq!(
        refused,
        lmdb_patterns().0 * (pages - 2 - 2),
        "{pages} pages"
    );
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn lmdb_pages_overwritten_in_postmap_tables_fail_cleanly() {
    let Some(postmap) = oracle::require("postmap", "lmdb_pages_overwritten_in_postmap_tables")
    else {
        return;
    };
    let dir = scratch();
    let dir = dir.path();
    fs::create_dir(dir.join("cf")).unwrap();
    fs::write(dir.join("cf/main.cf"), "compatibility_level = 3.6\n").unwrap();
    oracle::settle(&dir.join("cf"));
    let cf = dir.join("cf").display().to_string();
    fs::write(dir.join("map"), big_lmdb_source()).unwrap();
    oracle::run_ok(
        &postmap,
        &["-c", &cf, &format!("lmdb:{}", dir.join("map").display())],
    );
    let good = fs::read(dir.join("map.lmdb")).unwrap();
    let refused = overwrite_each_lmdb_page(dir, &good);
    assert!(refused > 0);

    // A valid postmap table passes the walk and reads whole: 100,000
    // entries under CCERT_INTEROP=1, 5,000 in a plain `cargo test`.
    let entries = oracle::size(100_000, 5_000);
    let mut s = String::new();
    for i in 0..entries {
        s.push_str(&format!("k{i} v{i}\n"));
    }
    fs::write(dir.join("big"), s).unwrap();
    oracle::run_ok(
        &postmap,
        &["-c", &cf, &format!("lmdb:{}", dir.join("big").display())],
    );
    let dump = guarded(dir).args(["dump", "lmdb:big"]).run();
    assert_eq!(
        dump.stdout_bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        entries
    );
    let last = entries - 1;
    guarded(dir)
        .args(["query", &format!("k{last}"), "lmdb:big"])
        .stdout(format!("v{last}\n"))
        .run();
}

#[test]
fn corrupt_sqlite_tables_fail_cleanly() {
    let dir = scratch();
    let dir = dir.path();
    let good = build_table(dir, "sqlite");
    let page = u16::from_be_bytes([good[16], good[17]]) as usize;
    let page = if page == 1 { 65536 } else { page };
    random_and_truncated("sqlite", "map.sqlite", &good, page, dir);
}

/// What `fixtures()` holds, for tests that need a certificate.
pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// Runs ccert to completion without the guard (for many concurrent runs),
/// expecting success and what it reports (see [`reports`]); returns
/// standard output.
fn ccert_ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    reports(Test::at(dir).args(args), args).run().stdout_bytes
}

/// What ccert reports on standard error after an edit of `map` in the
/// test's directory: `add` and `remove` name each table of `map` they
/// rebuilt (remove first names the entry it matched, add first warns about
/// an expired certificate); every other command here is quiet.
fn reports(test: Test, args: &[&str]) -> Test {
    let dir = test.dir().to_path_buf();
    let rebuilt: String = ALL_TYPES
        .iter()
        .map(|kind| table_name(kind))
        .filter(|table| dir.join(table).exists())
        .map(|table| format!("ccert: rebuilt {table}\n"))
        .collect();
    if args.contains(&"--no-compile") {
        return test;
    }
    match args.first() {
        // The expired fixture is added with a warning first.
        Some(&"add") if args.contains(&"expired.pem") => test.stderr(format!(
            "ccert: warning: expired.pem: the certificate expired on 2021-01-01T00:00:00Z; adding it anyway\n{rebuilt}"
        )),
        Some(&"add") => test.stderr(rebuilt),
        Some(&"remove") => {
            let name = args[args.iter().position(|a| *a == "--name").unwrap() + 1];
            test.stderr_contains(format!(" entry in map matches the name \"{name}\":\n"))
                .stderr_contains(":\n  line ")
                .stderr_contains(rebuilt)
        }
        _ => test,
    }
}

/// Sorted non-empty lines.
fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

/// 8 processes adding and removing entries on one source at once, with
/// compiles running alongside: no entry is lost and, once all finished,
/// every table holds exactly what the source says.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn concurrent_add_remove_and_compile_lose_nothing() {
    let scratch = scratch();
    let dir = scratch.path();
    // Filler makes each rebuild take a while, so edits and compiles overlap:
    // 2,000 entries under CCERT_INTEROP=1, 500 in a plain `cargo test`.
    let fillers = if oracle::interop_required() {
        2000
    } else {
        500
    };
    let mut filler = String::new();
    for i in 0..fillers {
        filler.push_str(&format!("{:064x} filler{i}\n", i * 31));
    }
    fs::write(dir.join("map"), &filler).unwrap();
    for kind in ["hash", "cdb", "lmdb"] {
        ccert_ok(dir, &["compile", &format!("{kind}:map")]);
    }
    // Eight distinct certificates (the eighth by its public-key fingerprint).
    let certs = [
        ("rsa.pem", false),
        ("ecdsa.pem", false),
        ("ed25519.pem", false),
        ("ca.pem", false),
        ("expired.pem", false),
        ("nocn.pem", false),
        ("utf8.pem", false),
        ("rsa.pem", true),
    ];
    for (file, _) in certs {
        fs::copy(fixtures().join(file), dir.join(file)).unwrap();
    }
    use std::sync::atomic::{AtomicUsize, Ordering};
    /// Counts a finished worker even when it panics, so the compiler stops.
    struct Done<'a>(&'a AtomicUsize);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let done = AtomicUsize::new(0);
    // Add/remove rounds per worker before the last add: 3 under
    // CCERT_INTEROP=1, 1 in a plain `cargo test` (the races are the same).
    let rounds = if oracle::interop_required() { 3 } else { 1 };
    std::thread::scope(|s| {
        let workers: Vec<_> = certs
            .iter()
            .enumerate()
            .map(|(i, &(file, pubkey))| {
                let done = &done;
                s.spawn(move || {
                    let _done = Done(done);
                    let name = format!("worker{i}");
                    let mut add = vec!["add", "--map", "map", "-d", "sha256", "--name", &name];
                    if pubkey {
                        add.push("--pubkey");
                    }
                    add.push(file);
                    let remove = ["remove", "--map", "map", "--name", &name, "--yes"];
                    for _ in 0..rounds {
                        ccert_ok(dir, &add);
                        ccert_ok(dir, &remove);
                    }
                    ccert_ok(dir, &add);
                    // Half the workers end without their entry.
                    if i % 2 == 0 {
                        ccert_ok(dir, &remove);
                    }
                })
            })
            .collect();
        let done = &done;
        let compiler = s.spawn(move || {
            let mut runs = 0;
            while done.load(Ordering::SeqCst) < certs.len() || runs < 3 {
                for kind in ["hash", "cdb", "lmdb"] {
                    ccert_ok(dir, &["compile", &format!("{kind}:map")]);
                }
                runs += 1;
            }
        });
        compiler.join().unwrap();
        for w in workers {
            w.join().unwrap();
        }
    });

    let listed = sorted_lines(&ccert_ok(
        dir,
        &["list", "--map", "map", "--format", "plain"],
    ));
    let named: Vec<&String> = listed.iter().filter(|l| l.contains("worker")).collect();
    assert_eq!(named.len(), 4, "entries lost or left over: {named:#?}");
    for i in [1, 3, 5, 7] {
        assert!(
            named.iter().any(|l| l.ends_with(&format!(" worker{i}"))),
            "worker{i}'s entry lost: {named:#?}"
        );
    }
    assert_eq!(listed.len(), fillers + 4, "filler entries lost");
    // Every table agrees with the source (postmap folds keys to lower case).
    let expected: Vec<String> = sorted_lines(
        listed
            .iter()
            .map(|l| {
                let (k, v) = l.split_once(' ').unwrap();
                format!("{}\t{v}\n", k.to_lowercase())
            })
            .collect::<String>()
            .as_bytes(),
    );
    for kind in ["hash", "cdb", "lmdb"] {
        let dumped = sorted_lines(&ccert_ok(dir, &["dump", &format!("{kind}:map")]));
        assert_eq!(dumped, expected, "{kind} table disagrees with the source");
    }
    if let Some(postmap) =
        oracle::require("postmap", "concurrent_add_remove_and_compile_lose_nothing")
    {
        let config = crate::source_model::postmap_config(dir);
        for kind in ["hash", "lmdb"] {
            let map = format!("{kind}:{}", dir.join("map").display());
            let out = oracle::run_ok(&postmap, &["-c", config.to_str().unwrap(), "-s", &map]);
            assert_eq!(sorted_lines(out.as_bytes()), expected, "postmap -s {map}");
        }
    }
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

const ALL_TYPES: [&str; 4] = ["hash", "lmdb", "cdb", "sqlite"];

fn table_name(kind: &str) -> String {
    match kind {
        "hash" => "map.db".into(),
        other => format!("map.{other}"),
    }
}

/// Symlinks planted at every name a table writer might use for its temp
/// file (ccert's prefix, postmap's and tinycdb's `.tmp`) are never followed:
/// their targets keep content and mode. Temp files are made in the table's
/// directory only (TMPDIR points nowhere).
#[test]
fn planted_symlinks_are_never_followed() {
    let scratch = scratch();
    let dir = scratch.path();
    fs::write(dir.join("map"), table_source()).unwrap();
    fs::copy(fixture("rsa.pem"), dir.join("rsa.pem")).unwrap();
    let victims = dir.join("victims");
    fs::create_dir(&victims).unwrap();
    let mut planted = Vec::new();
    for kind in ALL_TYPES {
        let table = table_name(kind);
        for name in [
            format!("{table}.tmp"),
            format!(".ccert-{table}.tmp"),
            format!(".ccert-{table}.000000"),
            format!(".ccert-{table}.XXXXXX"),
            format!("{table}-journal"),
            format!("{table}-lock"),
            format!(".{table}.swp"),
        ] {
            // The check that ccert wrote the old sqlite database refuses
            // (safely) when its journal name is taken; that is tested apart.
            if kind == "sqlite" && name.ends_with("-journal") {
                continue;
            }
            let victim = victims.join(&name);
            fs::write(&victim, b"victim\n").unwrap();
            set_mode(&victim, 0o600);
            symlink(&victim, dir.join(&name)).unwrap();
            planted.push((dir.join(&name), victim));
        }
    }
    for name in [".ccert-map.tmp", "map.tmp", ".ccert-map.000000"] {
        let victim = victims.join(name);
        fs::write(&victim, b"victim\n").unwrap();
        set_mode(&victim, 0o600);
        symlink(&victim, dir.join(name)).unwrap();
        planted.push((dir.join(name), victim));
    }
    let add = [
        "add", "--map", "map", "-d", "sha256", "--name", "h", "rsa.pem",
    ];
    let remove = ["remove", "--map", "map", "--name", "h", "--yes"];
    for round in 0..2 {
        for kind in ALL_TYPES {
            // Round 0 builds new tables, round 1 replaces them.
            guarded(dir)
                .args(["compile", &format!("{kind}:map")])
                .env("TMPDIR", "/nonexistent")
                .note(format!("compile {kind}, round {round}"))
                .run();
        }
        for args in [&add[..], &remove[..]] {
            reports(guarded(dir), args)
                .args(args)
                .env("TMPDIR", "/nonexistent")
                .run();
        }
    }
    for (link, victim) in &planted {
        assert!(
            fs::symlink_metadata(link).is_ok_and(|m| m.file_type().is_symlink()),
            "{} was replaced",
            link.display()
        );
        assert_eq!(
            fs::read(victim).unwrap(),
            b"victim\n",
            "{} written through",
            link.display()
        );
        assert_eq!(mode_of(victim), 0o600, "{} mode changed", victim.display());
    }
    // Nothing else appeared beside the tables.
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !planted
                .iter()
                .any(|(l, _)| l.file_name().unwrap().to_string_lossy() == *n)
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "map",
            "map.cdb",
            "map.d",
            "map.db",
            "map.lmdb",
            "map.sqlite",
            "map.sqlite.cf",
            "postfix-config",
            "rsa.pem",
            "victims"
        ]
    );
}

/// A private key `ccert issue` writes is 0600 even under umask 000, and a
/// symlink planted at its name is refused, not followed.
#[test]
fn issued_private_keys_are_0600() {
    let scratch = scratch();
    let dir = scratch.path();
    // Under the memory limit and the hang guard, as every run here.
    let umask_000 = || {
        Test::at(dir)
            .wrapped([
                "sh".to_string(),
                "-c".to_string(),
                format!("ulimit -v {MEM_LIMIT_KB}; umask 000; exec \"$0\" \"$@\""),
            ])
            .timeout(HANG_GUARD)
    };
    fs::create_dir(dir.join("out")).unwrap();
    umask_000().args(["issue", "ws1", "--out", "out"]).run();
    let keys: Vec<PathBuf> = fs::read_dir(dir.join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| fs::read_to_string(p).unwrap().contains("PRIVATE KEY"))
        .collect();
    assert_eq!(keys.len(), 1, "one key file");
    assert_eq!(mode_of(&keys[0]), 0o600, "{}", keys[0].display());
    // A symlink at the key's name for the next host: refused, victim untouched.
    let key_name = keys[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace("ws1", "ws2");
    let victim = dir.join("victim");
    fs::write(&victim, b"victim\n").unwrap();
    symlink(&victim, dir.join("out").join(&key_name)).unwrap();
    umask_000()
        .args(["issue", "ws2", "--out", "out"])
        .status(1)
        .stderr(format!(
            "ccert: error: out/{key_name}: already exists; ccert issue never overwrites (choose another --out or name)\n"
        ))
        .run();
    assert_eq!(fs::read(&victim).unwrap(), b"victim\n");
}

/// ccert never widens the mode of a file it replaces: a 0600 table stays
/// 0600 after a recompile and after an add's rebuild; a 0640 source stays
/// 0640 after add and remove.
#[test]
fn replaced_files_keep_their_mode() {
    let scratch = scratch();
    let dir = scratch.path();
    fs::write(dir.join("map"), table_source()).unwrap();
    fs::copy(fixture("rsa.pem"), dir.join("rsa.pem")).unwrap();
    for kind in ALL_TYPES {
        guarded(dir).args(["compile", &format!("{kind}:map")]).run();
        set_mode(&dir.join(table_name(kind)), 0o600);
    }
    set_mode(&dir.join("map"), 0o640);
    for kind in ALL_TYPES {
        guarded(dir).args(["compile", &format!("{kind}:map")]).run();
    }
    for args in [
        &[
            "add", "--map", "map", "-d", "sha256", "--name", "h", "rsa.pem",
        ][..],
        &["remove", "--map", "map", "--name", "h", "--yes"][..],
    ] {
        reports(guarded(dir), args).args(args).run();
        assert_eq!(mode_of(&dir.join("map")), 0o640, "source after {args:?}");
        for kind in ALL_TYPES {
            assert_eq!(
                mode_of(&dir.join(table_name(kind))),
                0o600,
                "{kind} after {args:?}"
            );
        }
    }
}

/// A sqlite table is replaced by rename, never written in place; a symlink
/// planted at its journal name makes the check of the old database (that
/// ccert wrote it) fail cleanly, and the link's target stays untouched.
#[test]
fn sqlite_journal_symlink_is_never_followed() {
    let scratch = scratch();
    let dir = scratch.path();
    fs::write(dir.join("map"), table_source()).unwrap();
    guarded(dir).args(["compile", "sqlite:map"]).run();
    let victim = dir.join("victim");
    fs::write(&victim, b"victim\n").unwrap();
    symlink(&victim, dir.join("map.sqlite-journal")).unwrap();
    fails_cleanly(
        dir,
        &["compile", "sqlite:map"],
        "map.sqlite",
        "recompile with a planted journal",
    );
    assert_eq!(fs::read(&victim).unwrap(), b"victim\n");
    fs::remove_file(dir.join("map.sqlite-journal")).unwrap();
    guarded(dir)
        .args(["query", "key7", "sqlite:map"])
        .stdout("value7\n")
        .run();
}

/// Hostile source files: what postmap stores and warns about, ccert stores
/// and warns about (same lines), without a panic and within the memory
/// limit; `list` and `add` on them neither panic nor lose a byte.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn hostile_sources_are_read_as_postmap_reads_them() {
    let scratch = scratch();
    let dir = scratch.path();
    let mut rng = Rng::new(2026);
    let long_value = "v".repeat(200_000);
    let long_key = "k".repeat(200_000);
    let mut binary = rng.bytes(20_000);
    binary.extend_from_slice(b"\nafter binary\n");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("comments only", b"# a comment\n\n   \n# another\n".to_vec()),
        ("NUL bytes", b"a 1\nb\0x 2\n\0\nc 3\0tail\nd 4\n".to_vec()),
        (
            "invalid UTF-8",
            b"good 1\nk\xff\xfe v\xc3\nbad\xc0\xaf 2\nvalue \xe2\x82\n\xf0\x9f\x98\x80 smile\n"
                .to_vec(),
        ),
        (
            "200,000-character value",
            format!("long {long_value}\nafter 1\n").into_bytes(),
        ),
        (
            "200,000-character key",
            format!("{long_key} v\nafter 1\n").into_bytes(),
        ),
        (
            "200,000-character line, no newline",
            format!("last {long_value}").into_bytes(),
        ),
        ("random binary", binary),
        ("only newlines and CRs", b"\r\n\n\r\r\n \n\t\n".to_vec()),
    ];
    let postmap = oracle::require("postmap", "hostile_sources_are_read_as_postmap_reads_them");
    fs::copy(fixture("rsa.pem"), dir.join("rsa.pem")).unwrap();
    for (what, bytes) in &cases {
        fs::write(dir.join("map"), bytes).unwrap();
        // Compile warns about the lines it skips, and says nothing else.
        let run = guarded(dir)
            .args(["compile", "hash:map"])
            .note(format!("compile, {what}"))
            .any_stderr()
            .run();
        let dump = guarded(dir)
            .args(["dump", "hash:map"])
            .note(format!("dump, {what}"))
            .run();
        let warned: Vec<&str> = run
            .stderr
            .lines()
            .map(|l| {
                l.strip_prefix("ccert: warning: ")
                    .unwrap_or_else(|| panic!("{what}: not a warning: {l}"))
            })
            .collect();
        for w in &warned {
            assert!(
                w.starts_with("map"),
                "{what}: warning does not name the file: {w}"
            );
        }
        if let Some(postmap) = &postmap {
            let pdir = dir.join("postmap");
            fs::create_dir_all(&pdir).unwrap();
            let (expected, pwarnings) = crate::source_model::postmap_dump(postmap, &pdir, &{
                fs::write(pdir.join("map"), bytes).unwrap();
                pdir.join("map")
            });
            let mut got: Vec<Vec<u8>> = dump
                .stdout_bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            got.sort();
            assert_eq!(
                got.len(),
                expected.len(),
                "{what}: entry count differs from postmap"
            );
            assert!(got == expected, "{what}: entries differ from postmap -s");
            // The same lines are warned about, with the same line numbers.
            let lines = |ws: &[&str]| -> Vec<Option<String>> {
                ws.iter()
                    .map(|w| {
                        w.split(", line ")
                            .nth(1)
                            .map(|r| r.split(':').next().unwrap().to_string())
                    })
                    .collect()
            };
            let pw: Vec<&str> = pwarnings
                .iter()
                .filter_map(|l| l.strip_prefix("postmap: warning: "))
                .collect();
            assert_eq!(
                lines(&warned),
                lines(&pw),
                "{what}: warnings differ:\nccert {warned:#?}\npostmap {pw:#?}"
            );
        }
        // Editing keeps every byte of what was there.
        guarded(dir)
            .args(["list", "--map", "map", "--format", "plain"])
            .note(format!("list, {what}"))
            // The same warnings as compile's, in postmap's words.
            .stderr(run.stderr.clone())
            .run();
        guarded(dir)
            .args([
                "add",
                "--map",
                "map",
                "-d",
                "sha256",
                "--name",
                "h",
                "--no-compile",
                "rsa.pem",
            ])
            .note(format!("add, {what}"))
            .run();
        let after = fs::read(dir.join("map")).unwrap();
        assert!(
            after.starts_with(bytes),
            "{what}: add changed existing bytes"
        );
    }
}

/// `ccert compile … 2>&1 | head`: with standard output and error closed
/// early, a compile that warns about every line still builds the table and
/// exits 0 (eprintln! used to panic: exit 101).
#[test]
fn compile_with_closed_output_does_not_panic() {
    let scratch = scratch();
    let dir = scratch.path();
    let mut source = Vec::new();
    for i in 0..20_000 {
        source.extend_from_slice(format!("bad-line-{i}\n").as_bytes());
    }
    source.extend_from_slice(b"good value\n");
    fs::write(dir.join("map"), &source).unwrap();
    // Close the read ends at once: every write fails with EPIPE.
    guarded(dir)
        .args(["compile", "hash:map"])
        .close_stdout()
        .close_stderr()
        .run();
    guarded(dir)
        .args(["query", "good", "hash:map"])
        .stdout("value\n")
        .run();
}

/// Editing commands finish their work (source written, tables rebuilt) even
/// when nobody reads their output; reading commands stop quietly on a closed
/// pipe (SIGPIPE, as postmap) instead of panicking.
#[test]
fn closed_output_never_half_finishes_an_edit() {
    let scratch = scratch();
    let dir = scratch.path();
    fs::write(dir.join("map"), b"aa:bb first\n").unwrap();
    fs::copy(crate::test::fixtures().join("rsa.pem"), dir.join("rsa.pem")).unwrap();
    guarded(dir).args(["compile", "cdb:map"]).run();
    guarded(dir)
        .args(["--map", "map", "add", "rsa.pem", "--name", "closed"])
        .close_stdout()
        .close_stderr()
        .run();
    // The table was rebuilt after the source edit: the new entry is there.
    guarded(dir)
        .args(["dump", "cdb:map"])
        .stdout_contains("\tclosed\n")
        .run();
    // Killed by SIGPIPE, as postmap: no panic, nothing on standard error.
    guarded(dir)
        .args(["dump", "cdb:map"])
        .close_stdout()
        .signal(libc::SIGPIPE)
        .run();
}

/// Sources that are not regular files are refused before anything is opened
/// or created, by every command that reads a source; a logical line over
/// the 1 MiB limit is an error naming its line, within the memory limit.
#[test]
fn non_regular_and_endless_sources_are_refused() {
    let scratch = scratch();
    let dir = scratch.path();
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let ccert_temps_in_dev = || {
        fs::read_dir("/dev")
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".ccert-"))
            .count()
    };
    let names_before = fs::read_dir(dir).unwrap().count();
    for kind in ["hash", "lmdb", "cdb", "sqlite"] {
        for source in ["/dev/zero", "/dev/urandom", "fifo"] {
            let spec = format!("{kind}:{source}");
            let run = fails_cleanly(dir, &["compile", &spec], source, &spec);
            assert!(
                run.stderr.contains("not a regular file"),
                "{spec}: {}",
                run.stderr
            );
        }
    }
    let cert = fixture("rsa.pem");
    for args in [
        vec!["--map", "fifo", "list"],
        vec!["--map", "fifo", "add", cert.to_str().unwrap()],
        vec!["--map", "/dev/zero", "list"],
    ] {
        let run = fails_cleanly(dir, &args, args[1], &format!("{args:?}"));
        assert!(
            run.stderr.contains("not a regular file"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(ccert_temps_in_dev(), 0, "temp files left in /dev");
    assert_eq!(
        fs::read_dir(dir).unwrap().count(),
        names_before,
        "files created"
    );

    // One endless line (twice the limit): an error naming line 2.
    let mut long = b"first line\nkey ".to_vec();
    long.extend(std::iter::repeat_n(b'v', 2 << 20));
    long.push(b'\n');
    fs::write(dir.join("long"), &long).unwrap();
    for kind in ["hash", "lmdb", "cdb", "sqlite"] {
        let spec = format!("{kind}:long");
        fails_cleanly(dir, &["compile", &spec], "long: line 2", &spec);
    }
}

/// A symlink planted at the table path itself (issue 9 item 3): the new
/// table replaces the link, takes its owner and mode from the source by
/// postmap's rule (never from the link's target, here another user's 0666
/// file), and the target keeps its content, owner and mode.
#[test]
fn symlink_at_the_table_path_is_replaced_with_the_sources_owner_and_mode() {
    use std::os::unix::fs::MetadataExt;
    let scratch = scratch();
    let dir = scratch.path();
    fs::write(dir.join("map"), table_source()).unwrap();
    set_mode(&dir.join("map"), 0o640);
    let source = fs::metadata(dir.join("map")).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    for kind in ALL_TYPES {
        let victim = dir.join(format!("victim-{kind}"));
        fs::write(&victim, b"victim\n").unwrap();
        set_mode(&victim, 0o666);
        if root {
            // Another user's file, as in the report (nobody = 65534).
            std::os::unix::fs::chown(&victim, Some(65534), Some(65534)).unwrap();
        }
        let before = fs::metadata(&victim).unwrap();
        let table = dir.join(table_name(kind));
        symlink(&victim, &table).unwrap();
        guarded(dir).args(["compile", &format!("{kind}:map")]).run();
        let meta = fs::symlink_metadata(&table).unwrap();
        assert!(meta.is_file(), "{kind}: the link was not replaced");
        assert_eq!(
            meta.mode() & 0o777,
            0o640,
            "{kind}: mode not from the source"
        );
        assert_eq!(
            (meta.uid(), meta.gid()),
            (source.uid(), source.gid()),
            "{kind}: owner"
        );
        let after = fs::metadata(&victim).unwrap();
        assert_eq!(
            fs::read(&victim).unwrap(),
            b"victim\n",
            "{kind}: written through"
        );
        assert_eq!(
            (after.mode(), after.uid(), after.gid()),
            (before.mode(), before.uid(), before.gid()),
            "{kind}: the link's target changed"
        );
        guarded(dir)
            .args(["query", "key7", &format!("{kind}:map")])
            .stdout("value7\n")
            .run();
    }
}

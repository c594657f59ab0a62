//! Crash safety: `ccert compile`, `add` and `remove` killed with SIGKILL at
//! many points leave every table wholly old or wholly new (checked with
//! Postfix's own readers and the format tools) and the source intact; the
//! next run succeeds and removes the killed runs' temp files.
//!
//! Map size: `CCERT_CRASH_ENTRIES` entries (default 50,000, so the whole
//! test stays well under a minute in a debug build; the issue's 200,000
//! runs with `CCERT_CRASH_ENTRIES=200000`). 20 kill points per table type
//! (6 each for add and remove) are spread over 0–125% of the duration of one
//! uninterrupted run, measured first, so the last ones land after it ended.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::hardening::scratch;
use crate::oracle;
use crate::source_model::postmap_config;
use crate::test::{Test, fixtures};

/// Kill points per recompile test (more under `CCERT_INTEROP=1`).
fn kill_points() -> u32 {
    if oracle::interop_required() { 20 } else { 8 }
}

/// Kill points for each of add and remove (they also rebuild the table).
const EDIT_KILL_POINTS: u32 = 6;

/// Map size: `CCERT_CRASH_ENTRIES`, else 50,000 under `CCERT_INTEROP=1`
/// (as CI runs) and 10,000 in a plain `cargo test`.
fn entries() -> usize {
    std::env::var("CCERT_CRASH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if oracle::interop_required() {
            50_000
        } else {
            10_000
        })
}

/// A source of `n` fingerprint-like keys whose values carry `tag`, plus
/// `probe <tag>`.
fn source(n: usize, tag: &str) -> Vec<u8> {
    let mut s = String::with_capacity(n * 90);
    for i in 0..n {
        s.push_str(&format!("{:064x} {tag}-host{i}.example.com\n", i * 7919));
    }
    s.push_str(&format!("probe {tag}\n"));
    s.into_bytes()
}

/// `ccert ARGS` in `dir`, expecting what it reports on standard error when
/// it runs to the end: add, remove and rehash name the hash table they
/// rebuild (when it exists; remove also the entry it matched), compile and
/// issue are quiet.
fn ccert(dir: &Path, args: &[&str]) -> Test {
    let test = Test::at(dir).args(args);
    let rebuilt = dir.join("map.db").exists();
    match args[0] {
        "add" | "rehash" if rebuilt => test.stderr("ccert: rebuilt map.db\n"),
        "remove" => test
            .stderr_contains(" entry in map matches the name ")
            .stderr_contains("ccert: rebuilt map.db\n"),
        _ => test,
    }
}

/// Runs ccert to completion, asserting success; returns how long it took.
fn run_ok(dir: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    ccert(dir, args).run();
    start.elapsed()
}

/// Starts ccert and SIGKILLs it after `delay` (if it is still running; a
/// run that finished first is checked as [`run_ok`] checks it). Returns
/// whether it was killed.
fn run_killed(dir: &Path, args: &[&str], delay: Duration) -> bool {
    let running = ccert(dir, args).spawn();
    std::thread::sleep(delay);
    running.kill().is_none()
}

/// Replaces `path` with `bytes` by rename, as a fresh file.
fn restore(path: &Path, bytes: &[u8]) {
    let temp = path.with_extension("restore");
    fs::write(&temp, bytes).unwrap();
    fs::rename(&temp, path).unwrap();
}

/// Leftover temp files of killed runs in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ccert-"))
        .collect()
}

/// The oracles a table type is checked with.
struct Oracles {
    postmap: PathBuf,
    config: String,
}

impl Oracles {
    fn get(test: &str, dir: &Path) -> Option<Self> {
        let postmap = oracle::require("postmap", test)?;
        let config = postmap_config(dir).to_str().unwrap().to_string();
        Some(Self { postmap, config })
    }

    /// `postmap -q key type:map`: the value, or None when not found.
    fn query(&self, kind: &str, map: &Path, key: &str) -> Option<String> {
        let name = match kind {
            "sqlite" => format!("sqlite:{}.sqlite.cf", map.display()),
            _ => format!("{kind}:{}", map.display()),
        };
        let out = oracle::run(&self.postmap, &["-c", &self.config, "-q", key, &name]);
        match out.status.code() {
            Some(0) => Some(String::from_utf8_lossy(&out.stdout).trim_end().to_string()),
            Some(1) if out.stderr.is_empty() => None,
            _ => panic!(
                "postmap -q {key} {kind}:{} failed: {}",
                map.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// `postmap -s type:map`: the number of entries. (Postfix cannot list
    /// a cdb table; `ccert dump` counts it, checking every record's bounds.)
    fn count(&self, kind: &str, map: &Path) -> usize {
        if kind == "cdb" || kind == "sqlite" {
            let out = Test::at(fsutil_parent(map))
                .args(["dump", &format!("{kind}:{}", map.display())])
                .run();
            return out
                .stdout_bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
        }
        let out = oracle::run_ok(
            &self.postmap,
            &[
                "-c",
                &self.config,
                "-s",
                &format!("{kind}:{}", map.display()),
            ],
        );
        out.lines().count()
    }
}

/// The format's own checker accepts the table file: one function per
/// type, so that each test names (and carries the `ignore` of) the checker
/// it runs.
type Verify = fn(&Path, &str);

/// db5.3_verify accepts map.db.
fn verify_hash(dir: &Path, test: &str) {
    let verify = oracle::require("db5.3_verify", test).unwrap();
    oracle::run_ok(&verify, &[dir.join("map.db").to_str().unwrap()]);
}

/// mdb_stat reads map.lmdb.
fn verify_lmdb(dir: &Path, test: &str) {
    let stat = oracle::require("mdb_stat", test).unwrap();
    oracle::run_ok(&stat, &["-n", dir.join("map.lmdb").to_str().unwrap()]);
}

/// sqlite3's integrity_check passes on map.sqlite, and no journal is left.
fn verify_sqlite(dir: &Path, test: &str) {
    let sqlite3 = oracle::require("sqlite3", test).unwrap();
    let out = oracle::run_ok(
        &sqlite3,
        &[
            dir.join("map.sqlite").to_str().unwrap(),
            "PRAGMA integrity_check",
        ],
    );
    assert_eq!(out.trim(), "ok", "{test}: sqlite integrity_check");
    let journals: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("-journal"))
        .collect();
    assert!(journals.is_empty(), "{test}: journal left: {journals:?}");
}

/// cdb has no checker of its own: `ccert dump` (Oracles::count) reads
/// every record with its bounds checked.
fn verify_cdb(_: &Path, _: &str) {}

fn fsutil_parent(path: &Path) -> &Path {
    path.parent().unwrap()
}

fn table_file(kind: &str) -> &'static str {
    match kind {
        "hash" => "map.db",
        "lmdb" => "map.lmdb",
        "cdb" => "map.cdb",
        "sqlite" => "map.sqlite",
        other => panic!("no table file for {other}"),
    }
}

fn recompile_killed_at_many_points(kind: &str, verify_format: Verify) {
    let test = &format!("recompile_killed_at_many_points({kind})");
    let scratch = scratch();
    let dir = scratch.path();
    let Some(oracles) = Oracles::get(test, dir) else {
        return;
    };
    let n = entries();
    let old = source(n, "old");
    let new = source(n, "new");
    let spec = format!("{kind}:map");
    let table = dir.join(table_file(kind));

    fs::write(dir.join("map"), &old).unwrap();
    run_ok(dir, &["compile", &spec]);
    let old_table = fs::read(&table).unwrap();
    fs::write(dir.join("map"), &new).unwrap();
    let full = run_ok(dir, &["compile", &spec]);
    let source_mode = fs::metadata(dir.join("map")).unwrap().permissions();

    let (mut saw_old, mut saw_new, mut finished) = (0, 0, 0);
    let kill_points = kill_points();
    for k in 0..kill_points {
        restore(&table, &old_table);
        // Spread over 0..125% of a full run: the last kills land after it finished.
        let delay = full.mul_f64(1.25 * (f64::from(k) + 0.5) / f64::from(kill_points));
        if !run_killed(dir, &["compile", &spec], delay) {
            finished += 1;
        }
        let what = format!("{kind}, {n} entries, killed after {delay:?} of {full:?}");
        match oracles.query(kind, &dir.join("map"), "probe").as_deref() {
            Some("old") => saw_old += 1,
            Some("new") => saw_new += 1,
            other => panic!("{what}: postmap -q probe gave {other:?}"),
        }
        // The table is whole: every entry is there, and the format checker agrees.
        assert_eq!(oracles.count(kind, &dir.join("map")), n + 1, "{what}");
        verify_format(dir, test);
        assert_eq!(
            fs::read(dir.join("map")).unwrap(),
            new,
            "{what}: source changed"
        );
    }
    eprintln!(
        "{test}: {n} entries, full run {full:?}, {kill_points} kill points ({finished} after the run finished): {saw_old} old, {saw_new} new, {} leftover temp files before the clean run",
        leftovers(dir).len()
    );

    // A clean run succeeds, produces the new table and removes the leftovers.
    restore(&table, &old_table);
    run_ok(dir, &["compile", &spec]);
    assert_eq!(
        oracles.query(kind, &dir.join("map"), "probe").as_deref(),
        Some("new")
    );
    assert_eq!(
        leftovers(dir),
        Vec::<String>::new(),
        "temp files left behind"
    );
    assert_eq!(
        fs::metadata(dir.join("map")).unwrap().permissions(),
        source_mode
    );
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "db5.3-util"),
    ignore = "needs postfix and db5.3-util"
)]
fn hash_recompile_killed_at_many_points() {
    recompile_killed_at_many_points("hash", verify_hash);
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "lmdb-utils"),
    ignore = "needs postfix and lmdb-utils"
)]
fn lmdb_recompile_killed_at_many_points() {
    recompile_killed_at_many_points("lmdb", verify_lmdb);
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn cdb_recompile_killed_at_many_points() {
    recompile_killed_at_many_points("cdb", verify_cdb);
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "sqlite3"),
    ignore = "needs postfix and sqlite3"
)]
fn sqlite_recompile_killed_at_many_points() {
    recompile_killed_at_many_points("sqlite", verify_sqlite);
}

/// `issue` killed at many points: each file it leaves is complete (never an
/// empty or half-written key that blocks the retry), and the next run sweeps
/// the killed runs' temp files.
#[test]
fn issue_killed_at_many_points() {
    let scratch = scratch();
    let dir = scratch.path();
    let out = dir.join("out");
    fs::create_dir(&out).unwrap();
    let args = ["issue", "ws", "--out", "out"];
    let full = run_ok(dir, &args);
    for k in 0..12u32 {
        for f in ["ws.pem", "ws.key"] {
            let _ = fs::remove_file(out.join(f));
        }
        let delay = full.mul_f64(1.25 * (f64::from(k) + 0.5) / 12.0);
        run_killed(dir, &args, delay);
        for f in ["ws.pem", "ws.key"] {
            if let Ok(bytes) = fs::read(out.join(f)) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    text.starts_with("-----BEGIN ") && text.trim_end().ends_with("-----"),
                    "killed after {delay:?}: {f} is incomplete: {text:?}"
                );
            }
        }
    }
    for f in ["ws.pem", "ws.key"] {
        let _ = fs::remove_file(out.join(f));
    }
    run_ok(dir, &args);
    assert_eq!(
        leftovers(&out),
        Vec::<String>::new(),
        "temp files left behind"
    );
}

/// `add` and `remove` (which edit the source, then rebuild its hash table)
/// killed at many points: the source is wholly old or wholly new, and the
/// table holds the added entry or not, whole either way.
#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "db5.3-util"),
    ignore = "needs postfix and db5.3-util"
)]
fn add_and_remove_killed_at_many_points() {
    let test = "add_and_remove_killed_at_many_points";
    let scratch = scratch();
    let dir = scratch.path();
    let Some(oracles) = Oracles::get(test, dir) else {
        return;
    };
    let n = entries();
    fs::copy(fixtures().join("rsa.pem"), dir.join("rsa.pem")).unwrap();
    let before = source(n, "old");
    fs::write(dir.join("map"), &before).unwrap();
    run_ok(dir, &["compile", "hash:map"]);
    let table_before = fs::read(dir.join("map.db")).unwrap();
    let add = [
        "add",
        "--map",
        "map",
        "--name",
        "crashtest",
        "--digest",
        "sha256",
        "rsa.pem",
    ];
    let remove = ["remove", "--map", "map", "--name", "crashtest", "--yes"];
    // One uninterrupted add and remove give the "new" states and timings.
    let add_time = run_ok(dir, &add);
    let after = fs::read(dir.join("map")).unwrap();
    let table_after = fs::read(dir.join("map.db")).unwrap();
    let key = String::from_utf8_lossy(&after[before.len()..])
        .lines()
        .rev()
        .find_map(|l| l.strip_suffix(" crashtest").map(str::to_string))
        .expect("the added line");
    let remove_time = run_ok(dir, &remove);
    let removed = fs::read(dir.join("map")).unwrap();

    let check = |what: &str, sources: [&[u8]; 2]| {
        let now = fs::read(dir.join("map")).unwrap();
        assert!(
            now == sources[0] || now == sources[1],
            "{what}: source is neither old nor new ({} bytes)",
            now.len()
        );
        match oracles.query("hash", &dir.join("map"), &key).as_deref() {
            None | Some("crashtest") => {}
            other => panic!("{what}: postmap -q gave {other:?}"),
        }
        assert_eq!(
            oracles.query("hash", &dir.join("map"), "probe").as_deref(),
            Some("old"),
            "{what}"
        );
        verify_hash(dir, test);
    };
    for k in 0..EDIT_KILL_POINTS {
        let frac = 1.25 * (f64::from(k) + 0.5) / f64::from(EDIT_KILL_POINTS);
        restore(&dir.join("map"), &before);
        restore(&dir.join("map.db"), &table_before);
        let delay = add_time.mul_f64(frac);
        let _ = fs::remove_dir_all(dir.join("map.d"));
        run_killed(dir, &add, delay);
        check(&format!("add killed after {delay:?}"), [&before, &after]);
        // Crash ordering: an entry in the source always has its stored copy.
        if fs::read(dir.join("map")).unwrap() == after {
            let stored = fs::read_dir(dir.join("map.d"))
                .map(|d| {
                    d.flatten()
                        .filter(|e| e.path().extension().is_some_and(|x| x == "pem"))
                        .count()
                })
                .unwrap_or(0);
            assert_eq!(
                stored, 1,
                "add killed after {delay:?}: entry without its certificate copy"
            );
        }

        restore(&dir.join("map"), &after);
        restore(&dir.join("map.db"), &table_after);
        let delay = remove_time.mul_f64(frac);
        run_killed(dir, &remove, delay);
        check(
            &format!("remove killed after {delay:?}"),
            [&after, &removed],
        );
    }
    // Clean runs afterwards: the table follows the source, no leftovers.
    restore(&dir.join("map"), &before);
    run_ok(dir, &add);
    assert_eq!(
        oracles.query("hash", &dir.join("map"), &key).as_deref(),
        Some("crashtest")
    );
    assert_eq!(oracles.count("hash", &dir.join("map")), n + 2);
    assert_eq!(
        leftovers(dir),
        Vec::<String>::new(),
        "temp files left behind"
    );
}

/// `rehash` (rewrite every entry to another digest, then rebuild the table)
/// killed at many points: the source is wholly old or wholly new, the table
/// answers for the old or the new fingerprint, whole either way, and a clean
/// run afterwards finishes the job without leftovers.
#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "db5.3-util"),
    ignore = "needs postfix and db5.3-util"
)]
fn rehash_killed_at_many_points() {
    let test = "rehash_killed_at_many_points";
    let scratch = scratch();
    let dir = scratch.path();
    let Some(oracles) = Oracles::get(test, dir) else {
        return;
    };
    let n = entries();
    // Filler that is not a fingerprint (rehash leaves it), then real entries.
    let mut filler = String::with_capacity(n * 40);
    for i in 0..n {
        filler.push_str(&format!("filler{i}.example value{i}\n"));
    }
    filler.push_str("probe old\n");
    fs::write(dir.join("map"), filler).unwrap();
    for cert in ["rsa.pem", "ecdsa.pem"] {
        fs::copy(fixtures().join(cert), dir.join(cert)).unwrap();
        run_ok(
            dir,
            &[
                "add", "--map", "map", "--digest", "sha256", cert, "--name", cert,
            ],
        );
    }
    run_ok(dir, &["compile", "hash:map"]);
    let before = fs::read(dir.join("map")).unwrap();
    let table_before = fs::read(dir.join("map.db")).unwrap();
    let keys = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .filter_map(|l| l.strip_suffix(" rsa.pem").map(str::to_string))
            .collect()
    };
    let old_key = keys(&before).pop().expect("the rsa entry");
    let rehash = ["rehash", "--map", "map", "--digest", "sha1"];
    let full = run_ok(dir, &rehash);
    let after = fs::read(dir.join("map")).unwrap();
    let new_key = keys(&after).pop().expect("the rehashed rsa entry");
    assert_ne!(old_key, new_key);

    for k in 0..EDIT_KILL_POINTS {
        restore(&dir.join("map"), &before);
        restore(&dir.join("map.db"), &table_before);
        let delay = full.mul_f64(1.25 * (f64::from(k) + 0.5) / f64::from(EDIT_KILL_POINTS));
        run_killed(dir, &rehash, delay);
        let what = format!("rehash killed after {delay:?} of {full:?}");
        let now = fs::read(dir.join("map")).unwrap();
        assert!(
            now == before || now == after,
            "{what}: source is neither old nor new"
        );
        let map = dir.join("map");
        let old = oracles.query("hash", &map, &old_key);
        let new = oracles.query("hash", &map, &new_key);
        assert!(
            matches!(
                (old.as_deref(), new.as_deref()),
                (Some("rsa.pem"), None) | (None, Some("rsa.pem"))
            ),
            "{what}: table answers old={old:?} new={new:?}"
        );
        assert_eq!(
            oracles.query("hash", &map, "probe").as_deref(),
            Some("old"),
            "{what}"
        );
        verify_hash(dir, test);
    }
    // A clean run from the old source finishes the job.
    restore(&dir.join("map"), &before);
    run_ok(dir, &rehash);
    assert_eq!(
        oracles.query("hash", &dir.join("map"), &new_key).as_deref(),
        Some("rsa.pem")
    );
    assert_eq!(
        leftovers(dir),
        Vec::<String>::new(),
        "temp files left behind"
    );
}

/// An add interrupted after it wrote the source but before it rebuilt the
/// table (`--no-compile` leaves exactly that state; a SIGKILL can too) is
/// repaired by running it again: the source has nothing to change ("nothing
/// to do"), but its table is older than the source, so it is rebuilt. The
/// same for `add --fingerprint` and a rehash that changes nothing. When no
/// table is behind, nothing is rebuilt.
#[test]
fn an_interrupted_edit_is_repaired_by_running_it_again() {
    let scratch = scratch();
    let dir = scratch.path();
    let (add, key) = interrupted_add_repaired(dir);
    let query = |key: &str| Test::at(dir).args(["query", key, "cdb:map"]);
    query(&key).stdout("late\n").run();
    // Nothing behind: nothing rebuilt.
    Test::at(dir)
        .args(add)
        .stderr_contains("; nothing to do\n")
        .stderr_lacks("rebuilt")
        .run();

    // add --fingerprint, and a rehash with nothing to rewrite.
    let fp = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
    let by_fp = [
        "add",
        "--map",
        "map",
        "--fingerprint",
        fp,
        "--name",
        "byfp",
        "--digest",
        "sha256",
    ];
    let interrupted: Vec<&str> = by_fp.iter().copied().chain(["--no-compile"]).collect();
    Test::at(dir).args(&interrupted).run();
    query(fp).status(1).stdout("").run();
    Test::at(dir)
        .args(by_fp)
        .stderr_contains("; nothing to do\n")
        .stderr_contains("ccert: rebuilt map.cdb\n")
        .run();
    query(fp).stdout("byfp\n").run();
    // A source edited by hand after the table was built: rehash (nothing to
    // rewrite) brings the table up to it.
    let mut text = fs::read_to_string(dir.join("map")).unwrap();
    text.push_str("# by hand\nhand-key hand\n");
    fs::write(dir.join("map"), text).unwrap();
    query("hand-key").status(1).stdout("").run();
    Test::at(dir)
        .args([
            "rehash",
            "--map",
            "map",
            "--digest",
            "sha256",
            "--skip-unknown",
        ])
        .stderr_contains("ccert: rebuilt map.cdb\n")
        .any_stderr()
        .run();
    query("hand-key").stdout("hand\n").run();
}

/// Postfix reads the table the repeated add rebuilt.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn postmap_reads_the_table_a_repeated_add_rebuilt() {
    let scratch = scratch();
    let dir = scratch.path();
    let (_, key) = interrupted_add_repaired(dir);
    let postmap =
        oracle::require("postmap", "postmap_reads_the_table_a_repeated_add_rebuilt").unwrap();
    let config = postmap_config(dir);
    let table = format!("cdb:{}", dir.join("map").display());
    let got = oracle::run_ok(
        &postmap,
        &[
            "-c",
            config.to_str().unwrap(),
            "-q",
            &key.to_lowercase(),
            &table,
        ],
    );
    assert_eq!(got, "late\n");
}

/// In `dir`: a cdb table of 100 entries, an `add` interrupted before its
/// rebuild, then the same add again, which must rebuild the table; the
/// add's arguments and the added certificate's key.
fn interrupted_add_repaired(dir: &Path) -> ([&'static str; 8], String) {
    fs::copy(fixtures().join("rsa.pem"), dir.join("rsa.pem")).unwrap();
    fs::write(dir.join("map"), source(100, "old")).unwrap();
    Test::at(dir).args(["compile", "cdb:map"]).run();
    let add = [
        "add", "--map", "map", "--name", "late", "--digest", "sha256", "rsa.pem",
    ];
    let interrupted: Vec<&str> = add.iter().copied().chain(["--no-compile"]).collect();
    Test::at(dir).args(&interrupted).run();
    let key = Test::at(dir)
        .args([
            "fingerprint",
            "--digest",
            "sha256",
            "--format",
            "map",
            "rsa.pem",
        ])
        .run()
        .stdout
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let query = |key: &str| Test::at(dir).args(["query", key, "cdb:map"]);
    query(&key).status(1).stdout("").run();
    Test::at(dir)
        .args(add)
        .stderr_contains("; nothing to do\n")
        .stderr_contains("ccert: rebuilt map.cdb\n")
        .run();
    query(&key).stdout("late\n").run();
    (add, key)
}

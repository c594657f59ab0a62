//! Crash safety: `ccert compile`, `add` and `remove` killed with SIGKILL at
//! many points leave every table wholly old or wholly new (checked with
//! Postfix's own readers and the format tools) and the source intact; the
//! next run succeeds and removes the killed runs' temp files.
//!
//! Map size: `CCERT_CRASH_ENTRIES` entries (default 50,000, so the whole
//! test stays well under a minute in a debug build; the 200,000
//! runs with `CCERT_CRASH_ENTRIES=200000`). 20 kill points per table type
//! (6 each for add and remove) are spread over 0–125% of the duration of one
//! uninterrupted run, measured first, so the last ones land after it ended.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::hardening::scratch;
use crate::oracle;
use crate::source_model::postmap_config;
use crate::test::{Test, ccert_bin, fixtures};

/// Kill points per recompile test.
const KILL_POINTS: u32 = 20;
/// Kill points for each of add and remove (they also rebuild the table).
const EDIT_KILL_POINTS: u32 = 6;

fn entries() -> usize {
    std::env::var("CCERT_CRASH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000)
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

fn ccert(dir: &Path) -> Command {
    let mut cmd = Command::new(ccert_bin());
    cmd.current_dir(dir)
        .env("MAIL_CONFIG", dir.join("postfix-config"))
        .env_remove("CCERT_INTEROP")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Runs ccert to completion, asserting success; returns how long it took.
/// Standard error is not checked: add and remove report what they matched
/// and rebuilt there, and these tests are about what survives a kill.
fn run_ok(dir: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    Test::at(dir).args(args).any_stderr().run();
    start.elapsed()
}

/// Starts ccert and SIGKILLs it after `delay` (if it is still running).
/// Returns whether it was killed (rather than finished first).
fn run_killed(dir: &Path, args: &[&str], delay: Duration) -> bool {
    let mut child = ccert(dir).args(args).spawn().unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
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
        let out = oracle::run(
            &self.postmap,
            &[
                "-c",
                &self.config,
                "-q",
                key,
                &format!("{kind}:{}", map.display()),
            ],
        );
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
        if kind == "cdb" {
            let out = ccert(fsutil_parent(map))
                .args(["dump", &format!("cdb:{}", map.display())])
                .stdout(Stdio::piped())
                .output()
                .unwrap();
            assert!(out.status.success(), "ccert dump cdb:{}", map.display());
            return out
                .stdout
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

/// The format's own checker accepts the table file.
fn verify_format(kind: &str, dir: &Path, test: &str) {
    match kind {
        "hash" => {
            if let Some(verify) = oracle::require("db5.3_verify", test) {
                oracle::run_ok(&verify, &[dir.join("map.db").to_str().unwrap()]);
            }
        }
        "lmdb" => {
            if let Some(stat) = oracle::require("mdb_stat", test) {
                oracle::run_ok(&stat, &["-n", dir.join("map.lmdb").to_str().unwrap()]);
            }
        }
        _ => {}
    }
}

fn fsutil_parent(path: &Path) -> &Path {
    path.parent().unwrap()
}

fn table_file(kind: &str) -> &'static str {
    match kind {
        "hash" => "map.db",
        "lmdb" => "map.lmdb",
        "cdb" => "map.cdb",
        other => panic!("no table file for {other}"),
    }
}

fn recompile_killed_at_many_points(kind: &str) {
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
    for k in 0..KILL_POINTS {
        restore(&table, &old_table);
        // Spread over 0..125% of a full run: the last kills land after it finished.
        let delay = full.mul_f64(1.25 * (f64::from(k) + 0.5) / f64::from(KILL_POINTS));
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
        verify_format(kind, dir, test);
        assert_eq!(
            fs::read(dir.join("map")).unwrap(),
            new,
            "{what}: source changed"
        );
    }
    eprintln!(
        "{test}: {n} entries, full run {full:?}, {KILL_POINTS} kill points ({finished} after the run finished): {saw_old} old, {saw_new} new, {} leftover temp files before the clean run",
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
fn hash_recompile_killed_at_many_points() {
    recompile_killed_at_many_points("hash");
}

#[test]
fn lmdb_recompile_killed_at_many_points() {
    recompile_killed_at_many_points("lmdb");
}

#[test]
fn cdb_recompile_killed_at_many_points() {
    recompile_killed_at_many_points("cdb");
}

/// `add` and `remove` (which edit the source, then rebuild its hash table)
/// killed at many points: the source is wholly old or wholly new, and the
/// table holds the added entry or not, whole either way.
#[test]
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
        verify_format("hash", dir, test);
    };
    for k in 0..EDIT_KILL_POINTS {
        let frac = 1.25 * (f64::from(k) + 0.5) / f64::from(EDIT_KILL_POINTS);
        restore(&dir.join("map"), &before);
        restore(&dir.join("map.db"), &table_before);
        let delay = add_time.mul_f64(frac);
        run_killed(dir, &add, delay);
        check(&format!("add killed after {delay:?}"), [&before, &after]);

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

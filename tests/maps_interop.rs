//! Tables written by ccert read by the real Postfix tools (postmap, mdb_stat),
//! and tables written by postmap read by ccert.
//!
//! Each test builds the same source twice, once with `postmap` (file `pm`)
//! and once with `ccert compile` (file `cc`), then compares what postmap and
//! ccert read from both.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

use crate::oracle;
use crate::test::Test;

/// A scratch directory with a Postfix configuration postmap accepts.
struct Lab {
    dir: tempfile::TempDir,
    postmap: PathBuf,
}

impl Lab {
    fn new(test: &str) -> Option<Self> {
        let postmap = oracle::require("postmap", test)?;
        let dir = tempfile::Builder::new()
            .prefix("ccert-interop")
            .tempdir()
            .unwrap();
        fs::create_dir(dir.path().join("cf")).unwrap();
        fs::write(
            dir.path().join("cf/main.cf"),
            "compatibility_level = 3.6\nsmtputf8_enable = yes\n",
        )
        .unwrap();
        Some(Self { dir, postmap })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cf(&self) -> String {
        self.path("cf").display().to_string()
    }

    /// Writes the source as `pm` and `cc`.
    fn source(&self, bytes: &[u8]) {
        fs::write(self.path("pm"), bytes).unwrap();
        fs::write(self.path("cc"), bytes).unwrap();
    }

    fn postmap(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let cf = self.cf();
        let mut all = vec!["-c", cf.as_str()];
        all.extend_from_slice(args);
        run(&self.postmap, &all, stdin, self.dir.path())
    }

    fn postmap_ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let out = self.postmap(args, stdin);
        assert!(
            out.status.success(),
            "postmap {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `ccert -c LAB/cf ARGS` in the lab directory.
    fn ccert(&self, args: &[&str]) -> Test {
        Test::at(self.dir.path())
            .args(["-c", &self.cf()])
            .args(args)
    }

    /// Builds `pm` with postmap and `cc` with ccert.
    fn build_both(&self, map_type: &str, flags: &[&str]) {
        let pm = format!("{map_type}:{}", self.path("pm").display());
        let mut args: Vec<&str> = flags.to_vec();
        args.push(&pm);
        let pm_out = self.postmap_ok(&args, None);
        let cc = format!("{map_type}:{}", self.path("cc").display());
        let mut args = vec!["compile"];
        args.extend_from_slice(flags);
        args.push(&cc);
        let cc_out = self.ccert(&args).any_stderr().run();
        self.warns_like_postmap(&cc_out.stderr, &pm_out.stderr);
    }

    /// ccert's standard error holds only warnings about the source `cc`,
    /// and its skipped-line warnings are postmap's about `pm` (duplicates
    /// are said differently: ccert names both lines).
    fn warns_like_postmap(&self, ccert_stderr: &str, postmap_stderr: &[u8]) {
        let cc_file = self.path("cc").display().to_string();
        let pm_file = self.path("pm").display().to_string();
        for line in ccert_stderr.lines() {
            assert!(
                line.starts_with(&format!("ccert: warning: {cc_file}")),
                "not a warning about {cc_file}: {line}"
            );
        }
        assert_eq!(
            line_warnings(ccert_stderr.as_bytes(), "ccert", &cc_file),
            line_warnings(postmap_stderr, "postmap", &pm_file),
            "ccert:\n{ccert_stderr}postmap:\n{}",
            String::from_utf8_lossy(postmap_stderr)
        );
    }

    /// `postmap -q -` over `keys` against `map`.
    fn postmap_query(&self, map: &str, keys: &[u8]) -> Vec<u8> {
        let out = self.postmap(&["-q", "-", map], Some(keys));
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "postmap -q - {map}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

fn run(tool: &Path, args: &[&str], stdin: Option<&[u8]>, dir: &Path) -> Output {
    let mut child = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .env_remove("CCERT_INTEROP")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", tool.display()));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // Write from a thread: the tool may fill its stdout pipe first.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    child.wait_with_output().unwrap()
}

/// Asserts two outputs are equal, showing only a few differing lines.
fn assert_same(label: &str, expected: &[u8], actual: &[u8]) {
    if expected == actual {
        return;
    }
    let (e, a) = (line_set(expected), line_set(actual));
    let show = |set: Vec<&Vec<u8>>| {
        set.iter()
            .take(5)
            .map(|l| String::from_utf8_lossy(&l[..l.len().min(120)]).into_owned())
            .collect::<Vec<_>>()
    };
    panic!(
        "{label}: outputs differ ({} vs {} bytes)\nonly expected: {:?}\nonly actual: {:?}",
        expected.len(),
        actual.len(),
        show(e.difference(&a).collect()),
        show(a.difference(&e).collect()),
    );
}

/// Asserts two outputs hold the same lines in any order.
fn assert_same_set(label: &str, expected: &[u8], actual: &[u8]) {
    let join = |set: BTreeSet<Vec<u8>>| set.into_iter().collect::<Vec<_>>().join(&b'\n');
    assert_same(label, &join(line_set(expected)), &join(line_set(actual)));
}

fn line_set(bytes: &[u8]) -> BTreeSet<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Lookup keys for `postmap -q -`: every stored key, its upper-case form
/// and a few misses, one per line.
fn keys_of(dump: &[u8]) -> Vec<u8> {
    let mut keys = Vec::new();
    for line in dump.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let key = line.split(|&b| b == b'\t').next().unwrap();
        keys.extend_from_slice(key);
        keys.push(b'\n');
        keys.extend(key.to_ascii_uppercase());
        keys.push(b'\n');
    }
    keys.extend_from_slice(b"no-such-key\nab:cd:ef:02\n");
    keys
}

/// A source with everything postmap's reader handles specially.
fn rich_source(long_key: bool) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(b"# relay_clientcerts\n");
    s.extend_from_slice(b"AB:CD:EF:01  host-one\n");
    s.extend_from_slice(b"  continued value\n");
    s.extend_from_slice(b"   # an indented comment inside a continuation\n");
    s.extend_from_slice(b"\tmore\n");
    s.extend_from_slice(b"\n");
    s.extend_from_slice(b"12:34 value with # hash   \n");
    s.extend_from_slice(b"\"Quoted Key\" quoted value\n");
    s.extend_from_slice(b"\"quoted with space\" v\n");
    s.extend_from_slice(b"key\\ x y\n");
    s.extend_from_slice(b"dup:key first\n");
    s.extend_from_slice(b"DUP:KEY second\n");
    s.extend_from_slice(b"CrLf:Key crlf value\r\n");
    s.extend_from_slice(b"crlf:other v2 \r\n");
    s.extend_from_slice(b"\r\n");
    s.extend_from_slice(b"lonely\n");
    s.extend_from_slice(b"alias: style\n");
    s.extend_from_slice(b"\"unbalanced quote\n");
    s.extend_from_slice("Äpfel:Ü Grüße\n".as_bytes());
    s.extend_from_slice(b"bad\xff utf8\n");
    s.extend_from_slice(format!("long:value {}\n", "v".repeat(5000)).as_bytes());
    s.extend_from_slice(format!("mid:value {}\n", "w".repeat(1100)).as_bytes());
    s.extend_from_slice(format!("{} max-lmdb-key\n", "k".repeat(510)).as_bytes());
    if long_key {
        s.extend_from_slice(format!("{} long-key\n", "L".repeat(700)).as_bytes());
    }
    s.extend_from_slice(b"last:line no-newline");
    s
}

/// 100,000 fingerprint entries (upper-case, as Postfix logs them, or lower-case).
fn big_source(upper: bool) -> Vec<u8> {
    let entries = big_entries() as u32;
    let mut s = Vec::with_capacity(entries as usize * 120);
    for i in 0..entries {
        let digest = Sha256::digest(i.to_le_bytes());
        let fp: Vec<String> = if upper {
            digest.iter().map(|b| format!("{b:02X}")).collect()
        } else {
            digest.iter().map(|b| format!("{b:02x}")).collect()
        };
        s.extend_from_slice(format!("{} client{i}.example.com\n", fp.join(":")).as_bytes());
    }
    s
}

/// Entries in `large_maps_match_postmap`: 100,000 (a 12 MB source, past
/// lmdb's first map size) under `CCERT_INTEROP=1`, 5,000 otherwise.
fn big_entries() -> usize {
    oracle::size(100_000, 5_000)
}

/// postmap reads ccert's table exactly as its own, for types postmap can dump.
fn same_dump(lab: &Lab, map_type: &str) {
    let pm = format!("{map_type}:{}", lab.path("pm").display());
    let cc = format!("{map_type}:{}", lab.path("cc").display());
    let pm_dump = lab.postmap_ok(&["-s", &pm], None).stdout;
    let cc_dump = lab.postmap_ok(&["-s", &cc], None).stdout;
    assert!(!pm_dump.is_empty());
    assert_same_set(&format!("{map_type}: postmap -s"), &pm_dump, &cc_dump);
    let keys = keys_of(&pm_dump);
    assert_same(
        &format!("{map_type}: postmap -q -"),
        &lab.postmap_query(&pm, &keys),
        &lab.postmap_query(&cc, &keys),
    );
    // And ccert reads postmap's table as postmap does.
    let ours = lab.ccert(&["dump", &pm]).run().stdout_bytes;
    if map_type == "lmdb" {
        assert_same("lmdb: ccert dump in postmap -s order", &pm_dump, &ours);
    } else {
        assert_same_set(&format!("{map_type}: ccert dump"), &pm_dump, &ours);
    }
    assert_same(
        &format!("{map_type}: ccert query -"),
        &lab.postmap_query(&pm, &keys),
        &lab.ccert(&["query", "-", &pm])
            .stdin(&keys)
            .run()
            .stdout_bytes,
    );
}

/// For cdb (which postmap cannot dump): lookups of every key agree, and the
/// files are byte-identical when no `-r` garbage is involved.
fn same_cdb(lab: &Lab, byte_identical: bool) {
    let pm = format!("cdb:{}", lab.path("pm").display());
    let cc = format!("cdb:{}", lab.path("cc").display());
    let pm_dump = lab.ccert(&["dump", &pm]).run().stdout_bytes;
    let cc_dump = lab.ccert(&["dump", &cc]).run().stdout_bytes;
    assert!(!pm_dump.is_empty());
    let keys = keys_of(&pm_dump);
    let expected = lab.postmap_query(&pm, &keys);
    assert!(!expected.is_empty());
    assert_same(
        "cdb: postmap -q -",
        &expected,
        &lab.postmap_query(&cc, &keys),
    );
    assert_same(
        "cdb: ccert query - on postmap's table",
        &expected,
        &lab.ccert(&["query", "-", &pm])
            .stdin(&keys)
            .run()
            .stdout_bytes,
    );
    assert_same_set("cdb: ccert dump", &keys_values(&expected), &cc_dump);
    if byte_identical {
        let same = fs::read(lab.path("pm.cdb")).unwrap() == fs::read(lab.path("cc.cdb")).unwrap();
        assert!(same, "cdb files differ");
    }
}

/// `postmap -q -` output restricted to the lower-case (stored) keys.
fn keys_values(query_output: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in query_output
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let key = line.split(|&b| b == b'\t').next().unwrap();
        if crate_fold(key) == key {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

fn crate_fold(key: &[u8]) -> Vec<u8> {
    ccert::maps::prepare::fold_key(key)
}

/// sqlite: postmap looks every key up in ccert's table and gets what it
/// gets from its own cdb table built from the same source.
fn same_sqlite(lab: &Lab, flags: &[&str]) {
    let cc_cf = lab.path("cc.sqlite.cf");
    let cc = format!("sqlite:{}", cc_cf.display());
    let pm = format!("cdb:{}", lab.path("pm").display());
    let mut args = vec!["compile"];
    args.extend_from_slice(flags);
    let src = format!("sqlite:{}", lab.path("cc").display());
    args.push(&src);
    let cc_out = lab.ccert(&args).any_stderr().run();
    let mut args: Vec<&str> = flags.to_vec();
    args.push(&pm);
    let pm_out = lab.postmap_ok(&args, None);
    lab.warns_like_postmap(&cc_out.stderr, &pm_out.stderr);
    let pm_dump = lab.ccert(&["dump", &pm]).run().stdout_bytes;
    let keys = keys_of(&pm_dump);
    let expected = lab.postmap_query(&pm, &keys);
    assert!(!expected.is_empty());
    assert_same(
        "sqlite: postmap -q -",
        &expected,
        &lab.postmap_query(&cc, &keys),
    );
}

/// `postmap: warning: FILE, line N: TEXT` → `(N, TEXT)` for skipped lines.
fn line_warnings(stderr: &[u8], prefix: &str, file: &str) -> BTreeSet<String> {
    let head = format!("{prefix}: warning: {file}, line ");
    String::from_utf8_lossy(stderr)
        .lines()
        .filter_map(|l| l.strip_prefix(&head))
        // postmap prints invalid bytes raw, ccert as `?`.
        .map(|l| l.replace('\u{FFFD}', "?"))
        .collect()
}

#[test]
#[cfg_attr(
    any(ccert_missing = "lmdb-utils", ccert_missing = "postfix"),
    ignore = "needs lmdb-utils and postfix"
)]
fn lmdb_tables_match_postmap() {
    let Some(lab) = Lab::new("lmdb_tables_match_postmap") else {
        return;
    };
    lab.source(&rich_source(false));
    lab.build_both("lmdb", &[]);
    same_dump(&lab, "lmdb");
    // (mdb_stat itself creates a lock file, so check before running it.)
    assert!(!lab.path("cc.lmdb-lock").exists());
    if let Some(mdb_stat) = oracle::require("mdb_stat", "lmdb_tables_match_postmap") {
        let cc = lab.path("cc.lmdb").display().to_string();
        let stat = oracle::run_ok(&mdb_stat, &["-n", "-e", &cc]);
        let pm_dump = lab
            .postmap_ok(&["-s", &format!("lmdb:{}", lab.path("pm").display())], None)
            .stdout;
        let count = line_set(&pm_dump).len();
        assert!(stat.contains(&format!("Entries: {count}\n")), "{stat}");
    }
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn hash_tables_match_postmap() {
    let Some(lab) = Lab::new("hash_tables_match_postmap") else {
        return;
    };
    lab.source(&rich_source(true));
    lab.build_both("hash", &[]);
    same_dump(&lab, "hash");
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn cdb_tables_match_postmap_byte_for_byte() {
    let Some(lab) = Lab::new("cdb_tables_match_postmap_byte_for_byte") else {
        return;
    };
    lab.source(&rich_source(true));
    lab.build_both("cdb", &[]);
    same_cdb(&lab, true);
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn sqlite_tables_answer_postmap_like_its_own_tables() {
    let Some(lab) = Lab::new("sqlite_tables_answer_postmap_like_its_own_tables") else {
        return;
    };
    lab.source(&rich_source(true));
    same_sqlite(&lab, &[]);
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn skipped_lines_warn_like_postmap() {
    let Some(lab) = Lab::new("skipped_lines_warn_like_postmap") else {
        return;
    };
    lab.source(&rich_source(true));
    let pm = lab.postmap_ok(&[&format!("cdb:{}", lab.path("pm").display())], None);
    let cc = lab
        .ccert(&["compile", &format!("cdb:{}", lab.path("cc").display())])
        .any_stderr()
        .run();
    let pm_file = lab.path("pm").display().to_string();
    let expected = line_warnings(&pm.stderr, "postmap", &pm_file);
    assert!(expected.len() >= 3, "{expected:?}");
    lab.warns_like_postmap(&cc.stderr, &pm.stderr);
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn duplicate_policies_match_postmap() {
    let Some(lab) = Lab::new("duplicate_policies_match_postmap") else {
        return;
    };
    let source = b"k first\nother 1\nK second\nk third\nOTHER 2\n";
    for flags in [&[][..], &["-r"][..], &["-w"][..]] {
        lab.source(source);
        for map_type in ["lmdb", "hash"] {
            lab.build_both(map_type, flags);
            same_dump(&lab, map_type);
        }
        lab.build_both("cdb", flags);
        // Under -w postmap's tinycdb stores the duplicate records too (lookups
        // still find the first); ccert leaves them out.
        same_cdb(&lab, flags != ["-w"]);
        same_sqlite(&lab, flags);
    }
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn over_long_lmdb_keys_are_refused_like_postmap() {
    let Some(lab) = Lab::new("over_long_lmdb_keys_are_refused_like_postmap") else {
        return;
    };
    lab.source(&rich_source(true));
    let pm = lab.postmap(&[&format!("lmdb:{}", lab.path("pm").display())], None);
    assert!(!pm.status.success(), "postmap accepted a 701-byte lmdb key");
    lab.ccert(&["compile", &format!("lmdb:{}", lab.path("cc").display())])
        .status(1)
        .stderr_contains("lmdb tables allow at most 510 bytes per key")
        .run();
    assert!(!lab.path("cc.lmdb").exists());
}

#[test]
#[cfg_attr(
    any(ccert_missing = "lmdb-utils", ccert_missing = "postfix"),
    ignore = "needs lmdb-utils and postfix"
)]
fn large_maps_match_postmap() {
    let Some(lab) = Lab::new("large_maps_match_postmap") else {
        return;
    };
    let upper = big_source(true);
    // Postfix 3.7's postmap loses key folding when an lmdb bulk build
    // outgrows lmdb_map_size (16 MiB) and restarts: this 12 MB source gives
    // a table with upper-case keys that `postmap -q` cannot find. So postmap
    // builds its lmdb table from the lower-case source; ccert from the
    // upper-case one, and both must hold the same folded entries.
    lab.source(&upper);
    fs::write(lab.path("pm"), big_source(false)).unwrap();
    lab.build_both("lmdb", &[]);
    same_dump(&lab, "lmdb");
    if let Some(mdb_stat) = oracle::require("mdb_stat", "large_maps_match_postmap") {
        let cc = lab.path("cc.lmdb").display().to_string();
        let stat = oracle::run_ok(&mdb_stat, &["-n", "-e", &cc]);
        let entries = format!("Entries: {}\n", big_entries());
        assert!(stat.contains(&entries), "{stat}");
    }
    // Every key as Postfix logs it is found in ccert's table.
    let cc = format!("lmdb:{}", lab.path("cc").display());
    let keys: Vec<u8> = upper
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .flat_map(|l| l.split(|&b| b == b' ').next().unwrap().iter().chain(b"\n"))
        .copied()
        .collect();
    let expected: Vec<u8> = upper
        .iter()
        .map(|&b| if b == b' ' { b'\t' } else { b })
        .collect();
    assert_same(
        "lmdb: postmap -q - of every key",
        &expected,
        &lab.postmap_query(&cc, &keys),
    );

    lab.source(&upper);
    lab.build_both("hash", &[]);
    same_dump(&lab, "hash");
    lab.build_both("cdb", &[]);
    same_cdb(&lab, true);
    same_sqlite(&lab, &[]);
}

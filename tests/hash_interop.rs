//! The `hash:` backend against the real Berkeley DB tools and postmap:
//! tables ccert writes verify with `db5.3_verify`, read back identically with
//! `postmap -s`/`-q`, stay updatable with `postmap -i`; tables postmap writes
//! read identically through ccert's reader. Plus property tests of the
//! writer/reader round trip and of the reader on damaged files.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ccert::maps::hash::HashBackend;
use ccert::maps::prepare::{Duplicate, DuplicatePolicy};
use ccert::maps::{Backend, Entry, MapError};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::oracle;

/// The oracles one interop test needs, or None (skip) when one is missing.
struct Tools {
    postmap: PathBuf,
    verify: PathBuf,
    /// A config dir with an empty main.cf, so postmap never reads the host's.
    cf: tempfile::TempDir,
}

impl Tools {
    fn get(test: &str) -> Option<Self> {
        let postmap = oracle::require("postmap", test)?;
        let verify = oracle::require("db5.3_verify", test)?;
        let cf = tempfile::tempdir().unwrap();
        fs::write(cf.path().join("main.cf"), "").unwrap();
        oracle::settle(cf.path());
        Some(Self {
            postmap,
            verify,
            cf,
        })
    }

    fn postmap(&self, args: &[&str], stdin: &[u8]) -> String {
        let mut child = Command::new(&self.postmap)
            .arg("-c")
            .arg(self.cf.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting postmap");
        let mut input = child.stdin.take().unwrap();
        let data = stdin.to_vec();
        let feeder = std::thread::spawn(move || {
            let _ = input.write_all(&data);
        });
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        assert!(
            out.status.success(),
            "postmap {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `postmap -s hash:FILE`, sorted lines.
    fn dump(&self, source: &Path) -> Vec<String> {
        let mut lines: Vec<String> = self
            .postmap(&["-s", &hash_name(source)], b"")
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    }

    fn verify(&self, db: &Path) {
        let out = oracle::run(&self.verify, &[db.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "db5.3_verify {} failed: {}{}",
            db.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn hash_name(source: &Path) -> String {
    format!("hash:{}", source.display())
}

/// Writes a table with ccert from `entries` (source file `text` beside it,
/// for the permission rules) and returns the duplicates reported.
fn ccert_build(
    source: &Path,
    text: &[u8],
    entries: &[(&[u8], &[u8], usize)],
    policy: DuplicatePolicy,
) -> Vec<Duplicate> {
    fs::write(source, text).unwrap();
    let mut iter = entries.iter().map(|(k, v, line)| {
        Ok::<_, MapError>(Entry {
            key: k.to_vec(),
            value: v.to_vec(),
            line: *line,
        })
    });
    let mut dups = Vec::new();
    let table = HashBackend
        .write(source, &mut iter, policy, &mut |d| dups.push(d))
        .unwrap();
    assert_eq!(table, PathBuf::from(format!("{}.db", source.display())));
    dups
}

/// `key<TAB>value` lines as postmap -s prints them, sorted.
fn lines_of(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    let mut lines: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}\t{}",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(v)
            )
        })
        .collect();
    lines.sort();
    lines
}

/// One source file and the entries postmap's reading rules give for it
/// (docs/formats/source-file.md: comments, continuations, CRLF, quoted keys, folding).
struct Case {
    name: &'static str,
    text: Vec<u8>,
    entries: Vec<(Vec<u8>, Vec<u8>, usize)>,
}

fn cases() -> Vec<Case> {
    let long_value = "v".repeat(3000);
    let edge_value = "e".repeat(1023); // 1024 bytes with the NUL: still on the page
    let long_key = format!("k{}", "x".repeat(2000));
    let owned = |v: Vec<(&str, &str, usize)>| {
        v.into_iter()
            .map(|(k, v, l)| (k.as_bytes().to_vec(), v.as_bytes().to_vec(), l))
            .collect::<Vec<_>>()
    };
    vec![
        Case {
            name: "comments_and_continuations",
            text: b"# clientcerts\n\nAB:CD:EF host1.example.com\n  # inner comment\nKeyTwo value two\n   continued part\n12:34 x # not a comment\n".to_vec(),
            entries: owned(vec![
                ("ab:cd:ef", "host1.example.com", 3),
                ("keytwo", "value two   continued part", 5),
                ("12:34", "x # not a comment", 7),
            ]),
        },
        Case {
            name: "crlf",
            text: b"AA:01 one\r\nAA:02 two words\r\n# c\r\nAA:03 three\r\n".to_vec(),
            entries: owned(vec![
                ("aa:01", "one", 1),
                ("aa:02", "two words", 2),
                ("aa:03", "three", 4),
            ]),
        },
        Case {
            name: "quoted_keys",
            text: b"\"Quoted Key\" v1\nkey5\\ x y\nplain \"quoted value\"\n".to_vec(),
            entries: owned(vec![
                ("\"quoted key\"", "v1", 1),
                ("key5\\ x", "y", 2),
                ("plain", "\"quoted value\"", 3),
            ]),
        },
        Case {
            name: "long_keys_and_values",
            text: format!(
                "big {long_value}\nedge {edge_value}\n{long_key} short\n{long_key}2 {long_value}\nsmall s\n"
            )
            .into_bytes(),
            entries: vec![
                (b"big".to_vec(), long_value.clone().into_bytes(), 1),
                (b"edge".to_vec(), edge_value.clone().into_bytes(), 2),
                (long_key.clone().into_bytes(), b"short".to_vec(), 3),
                (format!("{long_key}2").into_bytes(), long_value.clone().into_bytes(), 4),
                (b"small".to_vec(), b"s".to_vec(), 5),
            ],
        },
        Case {
            name: "empty",
            text: b"# nothing here\n\n".to_vec(),
            entries: vec![],
        },
        Case {
            name: "many_small",
            text: (0..3000)
                .map(|i| format!("k{i:05} value-{i}\n"))
                .collect::<String>()
                .into_bytes(),
            entries: (0..3000)
                .map(|i| {
                    (
                        format!("k{i:05}").into_bytes(),
                        format!("value-{i}").into_bytes(),
                        i + 1,
                    )
                })
                .collect(),
        },
    ]
}

fn borrowed(entries: &[(Vec<u8>, Vec<u8>, usize)]) -> Vec<(&[u8], &[u8], usize)> {
    entries
        .iter()
        .map(|(k, v, l)| (&k[..], &v[..], *l))
        .collect()
}

/// Everything one case must satisfy against postmap.
fn check_case(tools: &Tools, case: &Case) {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join(format!("{}-ccert", case.name));
    let theirs = dir.path().join(format!("{}-postmap", case.name));
    ccert_build(
        &ours,
        &case.text,
        &borrowed(&case.entries),
        DuplicatePolicy::Warn,
    );
    fs::write(&theirs, &case.text).unwrap();
    tools.postmap(&[&hash_name(&theirs)], b"");
    let ours_db = PathBuf::from(format!("{}.db", ours.display()));
    let theirs_db = PathBuf::from(format!("{}.db", theirs.display()));

    // ccert's table: verifies, and postmap reads exactly what postmap built.
    tools.verify(&ours_db);
    let want = tools.dump(&theirs);
    assert_eq!(tools.dump(&ours), want, "{}: postmap -s differs", case.name);
    let want_pairs: Vec<(Vec<u8>, Vec<u8>)> = case
        .entries
        .iter()
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(
        lines_of(&want_pairs),
        want,
        "{}: expected entries",
        case.name
    );

    // postmap -q finds every key (keys on stdin, one process).
    let keys: Vec<u8> = case
        .entries
        .iter()
        .flat_map(|(k, _, _)| [&k[..], b"\n"].concat())
        .collect();
    if !keys.is_empty() {
        // (postmap -q - exits 1 when it finds nothing, so not for the empty map)
        let mut found: Vec<String> = tools
            .postmap(&["-q", "-", &hash_name(&ours)], &keys)
            .lines()
            .map(str::to_string)
            .collect();
        found.sort();
        assert_eq!(found, want, "{}: postmap -q", case.name);
    }

    // ccert reads postmap's table as postmap -s prints it, and finds every key.
    let mut table = HashBackend.open(&theirs).unwrap();
    assert_eq!(
        lines_of(&table.entries().unwrap()),
        want,
        "{}: reader",
        case.name
    );
    for (k, v, _) in &case.entries {
        assert_eq!(
            table.get(k).unwrap().as_ref(),
            Some(v),
            "{}: get",
            case.name
        );
    }
    assert_eq!(table.get(b"no-such-key").unwrap(), None);

    // Real libdb can keep updating ccert's table.
    tools.postmap(&["-i", &hash_name(&ours)], b"added-key added value\n");
    tools.verify(&ours_db);
    assert_eq!(
        tools.postmap(&["-q", "added-key", &hash_name(&ours)], b""),
        "added value\n"
    );
    let mut table = HashBackend.open(&ours).unwrap();
    assert_eq!(
        table.get(b"added-key").unwrap(),
        Some(b"added value".to_vec())
    );
    assert_eq!(table.entries().unwrap().len(), case.entries.len() + 1);
    drop(theirs_db);
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "db5.3-util"),
    ignore = "needs postfix and db5.3-util"
)]
fn hash_tables_match_postmap() {
    let Some(tools) = Tools::get("hash_tables_match_postmap") else {
        return;
    };
    for case in cases() {
        check_case(&tools, &case);
    }
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "db5.3-util"),
    ignore = "needs postfix and db5.3-util"
)]
fn hash_duplicates_follow_postmap_policies() {
    let Some(tools) = Tools::get("hash_duplicates_follow_postmap_policies") else {
        return;
    };
    let text = b"AB:CD first\nother x\nab:cd second\nother y\nAb:Cd third\n";
    let entries: Vec<(&[u8], &[u8], usize)> = vec![
        (b"ab:cd", b"first", 1),
        (b"other", b"x", 2),
        (b"ab:cd", b"second", 3),
        (b"other", b"y", 4),
        (b"ab:cd", b"third", 5),
    ];
    for (policy, flag) in [
        (DuplicatePolicy::Warn, None),
        (DuplicatePolicy::Ignore, Some("-w")),
        (DuplicatePolicy::Replace, Some("-r")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours");
        let theirs = dir.path().join("theirs");
        let dups = ccert_build(&ours, text, &entries, policy);
        fs::write(&theirs, text).unwrap();
        let name = hash_name(&theirs);
        let mut args: Vec<&str> = flag.into_iter().collect();
        args.push(&name);
        tools.postmap(&args, b"");
        tools.verify(Path::new(&format!("{}.db", ours.display())));
        assert_eq!(tools.dump(&ours), tools.dump(&theirs), "{policy:?}");
        let want_dups = if policy == DuplicatePolicy::Warn {
            vec![
                (b"ab:cd".to_vec(), 3),
                (b"other".to_vec(), 4),
                (b"ab:cd".to_vec(), 5),
            ]
        } else {
            vec![]
        };
        let got: Vec<(Vec<u8>, usize)> = dups.into_iter().map(|d| (d.key, d.line)).collect();
        assert_eq!(
            got, want_dups,
            "{policy:?}: duplicate reports in line order"
        );
    }
}

/// `n` sha256-fingerprint keys (lower-case hex with colons) and host values.
fn fingerprints(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let d = Sha256::digest(i.to_le_bytes());
            let fp: Vec<String> = d.iter().map(|b| format!("{b:02x}")).collect();
            (fp.join(":"), format!("client{i}.example.com"))
        })
        .collect()
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "db5.3-util"),
    ignore = "needs postfix and db5.3-util"
)]
fn hash_100k_tables_match_postmap() {
    let Some(tools) = Tools::get("hash_100k_tables_match_postmap") else {
        return;
    };
    // 100,000 entries under CCERT_INTEROP=1, 5,000 in a plain `cargo test`.
    let pairs = fingerprints(oracle::size(100_000, 5_000));
    let text: String = pairs.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours");
    let theirs = dir.path().join("theirs");
    let entries: Vec<(&[u8], &[u8], usize)> = pairs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| (k.as_bytes(), v.as_bytes(), i + 1))
        .collect();
    assert!(ccert_build(&ours, text.as_bytes(), &entries, DuplicatePolicy::Warn).is_empty());
    fs::write(&theirs, &text).unwrap();
    tools.postmap(&[&hash_name(&theirs)], b"");

    tools.verify(Path::new(&format!("{}.db", ours.display())));
    let want = tools.dump(&theirs);
    assert_eq!(want.len(), pairs.len());
    assert_eq!(tools.dump(&ours), want);

    let keys: String = pairs.iter().map(|(k, _)| format!("{k}\n")).collect();
    let found = tools.postmap(&["-q", "-", &hash_name(&ours)], keys.as_bytes());
    assert_eq!(
        found.lines().count(),
        pairs.len(),
        "postmap -q finds every key"
    );

    // postmap's 100k table has split buckets and chained pages: read it all.
    let mut table = HashBackend.open(&theirs).unwrap();
    assert_eq!(lines_of(&table.entries().unwrap()), want);
    for (k, v) in &pairs {
        assert_eq!(
            table.get(k.as_bytes()).unwrap(),
            Some(v.as_bytes().to_vec())
        );
    }
    assert_eq!(table.get(b"00:11").unwrap(), None);

    tools.postmap(&["-i", &hash_name(&ours)], b"added-key added\n");
    tools.verify(Path::new(&format!("{}.db", ours.display())));
}

/// Rewrites a little-endian hash file as a big-endian writer would have
/// written it (every multi-byte field swapped), to prove the reader follows
/// the swapped magic. Knows ccert's layout: meta, hash pages, overflow pages.
fn to_big_endian(le: &[u8], pagesize: usize) -> Vec<u8> {
    let mut be = le.to_vec();
    let swap32 = |b: &mut [u8], o: usize| b[o..o + 4].reverse();
    let swap16 = |b: &mut [u8], o: usize| b[o..o + 2].reverse();
    for (n, page) in be.chunks_mut(pagesize).enumerate() {
        let le_page = &le[n * pagesize..(n + 1) * pagesize];
        match le_page[25] {
            8 => {
                for o in [0, 4, 8, 12, 16, 20, 28, 32, 36, 40, 44, 48] {
                    swap32(page, o);
                }
                for o in (72..96 + 4 * 32).step_by(4) {
                    swap32(page, o);
                }
            }
            7 | 13 => {
                for o in [0, 4, 8, 12, 16] {
                    swap32(page, o);
                }
                swap16(page, 20);
                swap16(page, 22);
                if le_page[25] == 13 {
                    let entries = u16::from_le_bytes([le_page[20], le_page[21]]) as usize;
                    for i in 0..entries {
                        let at = 26 + 2 * i;
                        let off = u16::from_le_bytes([le_page[at], le_page[at + 1]]) as usize;
                        swap16(page, at);
                        if le_page[off] == 3 {
                            swap32(page, off + 4);
                            swap32(page, off + 8);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    be
}

/// The entries of the big-endian and version-8 tests: many small ones and
/// a key and a value too long for one page.
fn endian_entries() -> Vec<(Vec<u8>, Vec<u8>, usize)> {
    let long = "L".repeat(5000);
    let mut entries: Vec<(Vec<u8>, Vec<u8>, usize)> = (0..500)
        .map(|i| {
            (
                format!("key{i}").into_bytes(),
                format!("val{i}").into_bytes(),
                i + 1,
            )
        })
        .collect();
    entries.push((b"bigval".to_vec(), long.clone().into_bytes(), 501));
    entries.push((long.clone().into_bytes(), b"bigkey".to_vec(), 502));
    entries
}

/// Berkeley DB itself accepts the test's big-endian conversion of a table
/// ccert built: the conversion the next test reads is faithful.
#[test]
#[cfg_attr(ccert_missing = "db5.3-util", ignore = "needs db5.3-util")]
fn db5_3_verify_accepts_the_big_endian_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("map");
    ccert_build(
        &src,
        b"",
        &borrowed(&endian_entries()),
        DuplicatePolicy::Warn,
    );
    let le = fs::read(format!("{}.db", src.display())).unwrap();
    let db = dir.path().join("be.db");
    fs::write(&db, to_big_endian(&le, 4096)).unwrap();
    let verify = oracle::require(
        "db5.3_verify",
        "db5_3_verify_accepts_the_big_endian_conversion",
    )
    .unwrap();
    assert!(
        oracle::run(&verify, &[db.to_str().unwrap()])
            .status
            .success()
    );
}

#[test]
fn hash_reads_big_endian_and_version_8_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("map");
    let entries = endian_entries();
    ccert_build(&src, b"", &borrowed(&entries), DuplicatePolicy::Warn);
    let le = fs::read(format!("{}.db", src.display())).unwrap();
    let expect = |name: &str| {
        let mut t = HashBackend.open(&dir.path().join(name)).unwrap();
        for (k, v, _) in &entries {
            assert_eq!(t.get(k).unwrap().as_ref(), Some(v), "{name}");
        }
        assert_eq!(t.entries().unwrap().len(), entries.len(), "{name}");
    };

    fs::write(dir.path().join("be.db"), to_big_endian(&le, 4096)).unwrap();
    expect("be");
    // (db5_3_verify_accepts_the_big_endian_conversion: Berkeley DB reads it too.)

    // Version 8: same layout with unsorted (type 2) pages, read by linear scan.
    let mut v8 = le.clone();
    v8[16..20].copy_from_slice(&8u32.to_le_bytes());
    for page in v8.chunks_mut(4096).skip(1) {
        if page[25] == 13 {
            page[25] = 2;
        }
    }
    fs::write(dir.path().join("v8.db"), v8).unwrap();
    expect("v8");
}

#[test]
fn hash_reader_rejects_damaged_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("map");
    let entries: Vec<(Vec<u8>, Vec<u8>, usize)> = (0..300)
        .map(|i| {
            (
                format!("k{i}").into_bytes(),
                "v".repeat(i * 7).into_bytes(),
                i + 1,
            )
        })
        .collect();
    ccert_build(&src, b"", &borrowed(&entries), DuplicatePolicy::Warn);
    let good = fs::read(format!("{}.db", src.display())).unwrap();
    let open = |bytes: &[u8]| {
        let path = dir.path().join("bad.db");
        fs::write(&path, bytes).unwrap();
        HashBackend.open(&dir.path().join("bad")).map(|_| ())
    };
    let corrupt = |r: Result<(), MapError>, what: &str| match r {
        Err(MapError::Corrupt { path, .. }) => assert!(path.ends_with("bad.db"), "{what}"),
        other => panic!("{what}: expected Corrupt, got {other:?}"),
    };
    corrupt(open(&[]), "empty file");
    corrupt(open(&good[..4096 * 2]), "truncated");
    let mut bad = good.clone();
    bad[12] ^= 0xff;
    corrupt(open(&bad), "bad magic");
    let mut bad = good.clone();
    bad[20..24].copy_from_slice(&3000u32.to_le_bytes());
    corrupt(open(&bad), "page size not a power of two");
    let mut bad = good.clone();
    bad[16..20].copy_from_slice(&6u32.to_le_bytes());
    corrupt(open(&bad), "old version");

    // A chain that loops back to its own bucket page.
    let mut bad = good.clone();
    bad[4096 + 16..4096 + 20].copy_from_slice(&1u32.to_le_bytes());
    fs::write(dir.path().join("loop.db"), &bad).unwrap();
    let mut t = HashBackend.open(&dir.path().join("loop")).unwrap();
    assert!(matches!(t.entries(), Err(MapError::Corrupt { .. })));
}

fn pair_strategy() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    let bytes = |max| prop::collection::vec(1u8..=255, 0..max);
    let item = prop_oneof![
        4 => bytes(40),
        1 => bytes(3000),
    ];
    prop::collection::vec((item.clone(), item), 0..120)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn hash_round_trips_arbitrary_pairs(pairs in pair_strategy(), replace in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("map");
        let entries: Vec<(&[u8], &[u8], usize)> = pairs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| (&k[..], &v[..], i + 1))
            .collect();
        let policy = if replace { DuplicatePolicy::Replace } else { DuplicatePolicy::Warn };
        let dups = ccert_build(&src, b"", &entries, policy);
        let mut want = BTreeMap::new();
        for (k, v) in &pairs {
            if replace {
                want.insert(k.clone(), v.clone());
            } else {
                want.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        prop_assert_eq!(dups.len(), if replace { 0 } else { pairs.len() - want.len() });
        let mut table = HashBackend.open(&src).unwrap();
        let got: BTreeMap<Vec<u8>, Vec<u8>> = table.entries().unwrap().into_iter().collect();
        prop_assert_eq!(&got, &want);
        for (k, v) in &want {
            let value = table.get(k).unwrap();
            prop_assert_eq!(value.as_ref(), Some(v));
        }
    }

    #[test]
    fn hash_reader_survives_random_damage(
        flips in prop::collection::vec((0usize..6 * 4096, any::<u8>()), 1..20),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("map");
        let long = vec![b'z'; 2500];
        let mut entries: Vec<(&[u8], &[u8], usize)> = vec![(b"big", &long, 1), (&long, b"k", 2)];
        let keys: Vec<String> = (0..60).map(|i| format!("key{i}")).collect();
        entries.extend(keys.iter().map(|k| (k.as_bytes(), &b"value"[..], 3)));
        ccert_build(&src, b"", &entries, DuplicatePolicy::Warn);
        let db = dir.path().join("map.db");
        let mut bytes = fs::read(&db).unwrap();
        for (at, value) in flips {
            let at = at % bytes.len();
            bytes[at] = value;
        }
        fs::write(&db, &bytes).unwrap();
        // Whatever the damage: an answer or a Corrupt/Io error, never a panic or a hang.
        if let Ok(mut t) = HashBackend.open(&src) {
            let _ = t.entries();
            for (k, _, _) in &entries {
                let _ = t.get(k);
            }
        }
    }
}

#[test]
#[cfg_attr(ccert_missing = "db5.3-util", ignore = "needs db5.3-util")]
fn hash_reads_berkeley_db_files_of_every_page_size() {
    let Some(load) = oracle::require(
        "db5.3_load",
        "hash_reads_berkeley_db_files_of_every_page_size",
    ) else {
        return;
    };
    // Keys and values with Postfix's trailing NUL, some big enough for
    // overflow pages even with 64 KiB pages, some off-page keys.
    let mut pairs: Vec<(String, String)> = (0..3000)
        .map(|i| (format!("key-{i:04}"), format!("value {i}")))
        .collect();
    pairs.push(("huge".into(), "H".repeat(70_000)));
    pairs.push(("K".repeat(600), "offpage key on small pages".into()));
    let text: String = pairs
        .iter()
        .map(|(k, v)| format!("{k}\\00\n{v}\\00\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    fs::write(&input, text).unwrap();
    for pagesize in [512, 1024, 8192, 16384, 65536] {
        // A small fill factor makes Berkeley DB split buckets often.
        for ffactor in [0, 4] {
            let name = format!("p{pagesize}f{ffactor}");
            let db = dir.path().join(format!("{name}.db"));
            let mut args = vec![
                "-T".to_string(),
                "-t".into(),
                "hash".into(),
                "-c".into(),
                format!("db_pagesize={pagesize}"),
            ];
            if ffactor > 0 {
                args.extend(["-c".into(), format!("h_ffactor={ffactor}")]);
            }
            args.extend(["-f".into(), input.to_str().unwrap().into()]);
            args.push(db.to_str().unwrap().into());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            oracle::run_ok(&load, &args);
            let mut table = HashBackend.open(&dir.path().join(&name)).unwrap();
            let got: BTreeMap<Vec<u8>, Vec<u8>> = table.entries().unwrap().into_iter().collect();
            assert_eq!(got.len(), pairs.len(), "{name}");
            for (k, v) in &pairs {
                assert_eq!(
                    got.get(k.as_bytes()),
                    Some(&v.as_bytes().to_vec()),
                    "{name}"
                );
                assert_eq!(
                    table.get(k.as_bytes()).unwrap(),
                    Some(v.as_bytes().to_vec()),
                    "{name}"
                );
            }
        }
    }
}

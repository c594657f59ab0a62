//! `ccert add`, `remove` and `list` on real files: every byte the admin wrote
//! survives, the result reads in the real postmap as `list` says, add → remove
//! restores the exact bytes, bad input changes nothing, concurrent runs lose
//! nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ccert::cert::{DigestAlgorithm, Fingerprint};

use crate::oracle;
use crate::source_model::{fold, postmap_dump};
use crate::test::{Test, fixtures};

const RSA_SHA256: &str = "1A:22:04:9F:49:0D:8C:EB:78:BC:DC:AA:A8:F4:60:5E:16:B7:B2:CE:BD:DE:00:26:BC:EE:AC:DA:FD:98:DC:34";

/// Sources an admin may have written, each with something awkward.
const AWKWARD: &[(&str, &[u8])] = &[
    ("empty", b""),
    ("comments", b"# relay_clientcerts\n#\n   # indented comment\n\t# tab comment\n"),
    (
        "continuations",
        b"AA:BB old-host\n  continued value\n# comment inside\n\tmore\nCC:DD other\n",
    ),
    ("crlf", b"# crlf file\r\nAA:BB host-a\r\nCC:DD host-b\r\n"),
    ("crlf-no-final-newline", b"# crlf file\r\nAA:BB host-a\r\nCC:DD host-b"),
    ("no-final-newline", b"AA:BB host-a\nCC:DD host-b"),
    ("comment-no-final-newline", b"AA:BB host-a\n# last words"),
    ("duplicates", b"AA:BB first\naa:bb second\nAA:BB third\n"),
    (
        "invalid-lines",
        b"  orphan continuation\nnovalue\n\"unbalanced key\nbad \xff utf8\nAA:BB ok\nx: alias-style\n",
    ),
    ("quoted-keys", b"\"quoted key\" v1\nk\\ x v2\n\"a\\\" b\" v3\n"),
    ("blank-lines", b"\n\n   \n\t\nAA:BB x\n\n"),
    ("trailing-whitespace", b"AA:BB host   \t\nCC:DD  spaced  value \n"),
];

fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(fixtures().join(name), &to).unwrap();
    to
}

/// `ccert --map clientcerts ARGS` in `dir`.
fn ccert(dir: &Path, args: &[&str]) -> Test {
    Test::at(dir).args(["--map", "clientcerts"]).args(args)
}

/// Runs `ccert --map clientcerts ARGS` in `dir`, expecting success and
/// silence on standard error; returns standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    ccert(dir, args).run().stdout
}

/// `list --format json`: its entries. It warns about the admin's lines as
/// the plain list does (pinned to postmap's reading by
/// plain_list_is_postmaps_reading), one `clientcerts, line N:` warning each.
fn list_json(dir: &Path) -> Vec<serde_json::Value> {
    let plain = ccert(dir, &["list", "--format", "plain"])
        .any_stderr()
        .run();
    for line in plain.stderr.lines() {
        assert!(
            line.starts_with("ccert: warning: clientcerts, line "),
            "not a warning about a line: {line}"
        );
    }
    let listed = ccert(dir, &["list", "--format", "json"])
        .stderr(plain.stderr)
        .run();
    serde_json::from_str(&listed.stdout).unwrap()
}

/// What `list` says postmap stores: folded keys, duplicates left out, as
/// `postmap -s` prints them, sorted.
fn list_as_dump(dir: &Path) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = list_json(dir)
        .iter()
        .filter(|e| e["duplicate"] == false)
        .map(|e| {
            let mut line = fold(e["fingerprint"].as_str().unwrap().as_bytes());
            line.push(b'\t');
            line.extend_from_slice(e["name"].as_str().unwrap().as_bytes());
            line
        })
        .collect();
    lines.sort();
    lines
}

/// On every awkward source: add keeps every byte, list shows the entries,
/// remove restores the file.
#[test]
fn add_keeps_every_byte_and_remove_restores() {
    add_and_remove_on_awkward_sources(None);
}

/// The same, and postmap stores exactly the entries list shows.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn add_keeps_every_byte_agrees_with_postmap_and_remove_restores() {
    let postmap = oracle::require(
        "postmap",
        "add_keeps_every_byte_agrees_with_postmap_and_remove_restores",
    )
    .unwrap();
    add_and_remove_on_awkward_sources(Some(&postmap));
}

/// Adds two certificates to each awkward source and removes them again;
/// with `postmap`, also compares its dump of the table with `ccert list`.
fn add_and_remove_on_awkward_sources(postmap: Option<&std::path::Path>) {
    for (label, original) in AWKWARD {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        copy_fixture(dir, "rsa.pem");
        copy_fixture(dir, "ecdsa.pem");
        let source = dir.join("clientcerts");
        std::fs::write(&source, original).unwrap();

        ok(dir, &["add", "rsa.pem", "ecdsa.pem"]);
        let edited = std::fs::read(&source).unwrap();
        // Everything the admin wrote is still there, byte for byte.
        assert!(
            edited.starts_with(original),
            "{label}: original bytes changed"
        );
        let first_nl = original.iter().position(|&b| b == b'\n');
        let crlf = first_nl.is_some_and(|p| p > 0 && original[p - 1] == b'\r');
        let tail = String::from_utf8_lossy(&edited[original.len()..]).into_owned();
        if crlf {
            assert!(
                tail.contains("\r\n# ccert: "),
                "{label}: CRLF kept: {tail:?}"
            );
        }
        assert_eq!(
            edited.ends_with(b"\n"),
            original.is_empty() || original.ends_with(b"\n"),
            "{label}: final-newline style kept"
        );
        assert!(
            tail.contains(&format!("{RSA_SHA256} rsa.example")),
            "{label}: {tail:?}"
        );

        // The entries list shows are exactly what postmap stores.
        let listed = list_as_dump(dir);
        assert!(
            listed.contains(&format!("{}\trsa.example", RSA_SHA256.to_lowercase()).into_bytes())
        );
        if let Some(postmap) = postmap {
            let (dump, _) = postmap_dump(postmap, dir, &source);
            assert_eq!(dump, listed, "{label}: postmap -s differs from ccert list");
            // Leave no table behind: the next commands must not rebuild one.
            std::fs::remove_file(dir.join("clientcerts.db")).unwrap();
        }

        ccert(dir, &["remove", "--yes", "rsa.pem"])
            .stderr_contains("1 entry in clientcerts matches the fingerprints of rsa.pem")
            .run();
        ccert(dir, &["remove", "--yes", "--name", "ecdsa.example"])
            .stderr_contains("1 entry in clientcerts matches the name \"ecdsa.example\"")
            .run();
        assert_eq!(
            std::fs::read(&source).unwrap(),
            *original,
            "{label}: add then remove did not restore the bytes"
        );
    }
}

#[test]
fn plain_list_is_postmaps_reading() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(
        dir.join("clientcerts"),
        b"AA:BB one\r\n  two\r\n# c\r\n\"q k\" v\r\nnovalue\r\naa:bb dup\r\n",
    )
    .unwrap();
    ccert(dir, &["list", "--format", "plain"])
        // The CR inside a joined logical line stays, as in postmap.
        .stdout("AA:BB one\r  two\n\"q k\" v\naa:bb dup\n")
        .stderr("ccert: warning: clientcerts, line 5: expected format: key whitespace value\n")
        .run();
    let json = list_json(dir);
    assert_eq!(json.len(), 3);
    assert_eq!(json[2]["duplicate"], true);
    assert_eq!(json[2]["duplicate_of"], 1);
    assert_eq!(json[2]["line"], 6);
    assert_eq!(json[0]["digest"], serde_json::Value::Null);
    assert_eq!(json[0]["not_after"], serde_json::Value::Null);
    ccert(dir, &["list"])
        .stdout_contains("duplicate of line 1")
        .stderr("ccert: warning: clientcerts, line 5: expected format: key whitespace value\n")
        .run();
}

#[test]
fn list_shows_recorded_details() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_fixture(dir, "rsa.pem");
    ok(
        dir,
        &[
            "add", "--pubkey", "--digest", "sha1", "--name", "laptop", "rsa.pem",
        ],
    );
    let json = list_json(dir);
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["digest"], "sha1");
    assert_eq!(json[0]["pubkey"], true);
    assert_eq!(json[0]["name"], "laptop");
    assert_eq!(
        json[0]["fingerprint"],
        "96:7A:7C:C4:0C:05:FD:E0:68:B9:08:97:84:B4:7A:46:42:C6:C3:A4"
    );
    assert_eq!(json[0]["subject"], "CN=rsa.example, O=ccert tests, C=DE");
    assert!(json[0]["not_after"].as_str().unwrap().starts_with("21"));
    assert_eq!(json[0]["line"], 2);
    // Removing by certificate without --digest finds the sha1 public-key entry.
    ccert(dir, &["remove", "--yes", "rsa.pem"])
        .stderr_contains("1 entry in clientcerts matches the fingerprints of rsa.pem")
        .run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), b"");
}

/// A self-signed certificate made at test time (rcgen), valid from yesterday
/// for `days` days.
fn make_cert(dir: &Path, file: &str, cn: &str, days: i64) -> Fingerprint {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(days);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join(file), cert.pem()).unwrap();
    Fingerprint::compute(DigestAlgorithm::Sha256, cert.der())
}

#[test]
fn list_expiring_selects_by_recorded_not_after() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_fixture(dir, "rsa.pem");
    let soon = make_cert(dir, "soon.pem", "soon.example", 10);
    ok(dir, &["add", "rsa.pem", "soon.pem"]);
    // An entry ccert did not write has no recorded date and is never listed as expiring.
    let mut bytes = std::fs::read(dir.join("clientcerts")).unwrap();
    bytes.extend_from_slice(b"AB:CD:EF:01 handwritten\n");
    std::fs::write(dir.join("clientcerts"), bytes).unwrap();

    // An expiring entry exits 1.
    ccert(dir, &["list", "--expiring", "30", "--format", "plain"])
        .status(1)
        .stdout(format!("{soon} soon.example\n"))
        .run();
    ccert(dir, &["list", "--expiring", "5", "--format", "plain"])
        .stdout("")
        .run();
}

#[test]
fn add_existing_entry_is_a_noop_and_replace_renames_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_fixture(dir, "rsa.pem");
    let source = dir.join("clientcerts");
    let before = format!(
        "# mine\n{} old-name   \n# after\n",
        RSA_SHA256.to_lowercase()
    );
    std::fs::write(&source, &before).unwrap();

    // Same fingerprint (other case), other name: refused without --replace.
    ccert(dir, &["add", "rsa.pem"])
        .status(1)
        .stderr_contains("clientcerts:2:")
        .stderr_contains("--replace")
        .run();
    assert_eq!(std::fs::read_to_string(&source).unwrap(), before);

    // Same name: nothing to do, exit 0, a notice.
    ccert(dir, &["add", "--name", "old-name", "rsa.pem"])
        .stderr_contains("already in")
        .run();
    assert_eq!(std::fs::read_to_string(&source).unwrap(), before);

    // --replace rewrites only that value.
    ok(dir, &["add", "--replace", "rsa.pem"]);
    assert_eq!(
        std::fs::read_to_string(&source).unwrap(),
        before.replace("old-name", "rsa.example")
    );
}

#[test]
fn bad_input_leaves_the_source_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for f in [
        "rsa.pem",
        "random.bin",
        "nocn.pem",
        "truncated.pem",
        "empty.pem",
    ] {
        copy_fixture(dir, f);
    }
    let source = dir.join("clientcerts");
    let original = b"# keep me\r\nAA:BB host\r\n  continued\r\nCC:DD other";
    std::fs::write(&source, original).unwrap();
    let cases: &[&[&str]] = &[
        &["add", "missing.pem"],
        &["add", "random.bin"],
        &["add", "truncated.pem"],
        &["add", "empty.pem"],
        &["add", "rsa.pem", "random.bin"],
        &["add", "nocn.pem"],
        &["add", "--name", "   ", "rsa.pem"],
        &["add", "--name", "two\nlines", "rsa.pem"],
        &["add", "--name", "tab\there", "rsa.pem"],
        &["add", "--name", "", "rsa.pem"],
        &["remove", "--yes", "--fingerprint", "not-hex"],
        &["remove", "--yes", "--fingerprint", "AA:BB:CC"],
        &["remove", "--yes", "--name", "nobody"],
        &["remove", "--yes", "missing.pem"],
        &["remove", "--yes", "rsa.pem"],
        &["remove", "--name", "host"],
    ];
    for args in cases {
        let failed = ccert(dir, args).status(1).stderr_contains("ccert: ").run();
        assert!(
            failed.stderr.starts_with("ccert: ") && !failed.stderr.contains("panicked"),
            "{}",
            failed.stderr
        );
        assert_eq!(
            std::fs::read(&source).unwrap(),
            original,
            "ccert {args:?} changed the source"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ccert-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn remove_without_terminal_refuses_unless_yes() {
    let out = Test::new()
        .fixture("rsa.pem")
        .args(["--map", "clientcerts", "add", "rsa.pem"])
        .run();
    let before = out.read("clientcerts");
    let out = out
        .then()
        .args(["--map", "clientcerts", "remove", "--name", "rsa.example"])
        .status(1)
        .stderr_contains("not a terminal")
        .stderr_contains("--yes")
        .run();
    assert_eq!(out.read("clientcerts"), before);
    let out = out
        .then()
        .args(["--map", "clientcerts", "remove", "--yes", "--fingerprint"])
        .arg(RSA_SHA256.replace(':', "").to_lowercase())
        .stderr_contains(format!(
            "1 entry in clientcerts matches {RSA_SHA256}:\n  line 2: {RSA_SHA256} rsa.example\n"
        ))
        .run();
    assert_eq!(out.read("clientcerts"), b"");
}

#[test]
#[cfg_attr(ccert_missing = "bsdutils", ignore = "needs bsdutils")]
fn remove_on_a_terminal_asks_first() {
    // util-linux `script` runs ccert on a pseudo-terminal and feeds it our answer.
    if oracle::require("script", "remove_on_a_terminal_asks_first").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_fixture(dir, "rsa.pem");
    ok(dir, &["add", "rsa.pem"]);
    let before = std::fs::read(dir.join("clientcerts")).unwrap();
    // On the terminal, standard error shows up with standard output.
    let remove = |answer: &str, status: i32| {
        ccert(dir, &["remove", "--name", "rsa.example"])
            .pty()
            .stdin(answer)
            .status(status)
            .stdout_contains("Remove it?")
            .run()
    };
    remove("n", 1);
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), before);
    remove("y", 0);
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), b"");
}

#[test]
fn add_creates_a_missing_file_but_no_directory() {
    let out = Test::new()
        .fixture("nocn.pem")
        .args(["--map", "new/clientcerts", "add", "--name", "x", "nocn.pem"])
        .status(1)
        .stderr_contains("directory new does not exist")
        .run();
    assert!(!out.path("new").exists());
    let out = out
        .then()
        .args([
            "--map",
            "clientcerts",
            "add",
            "--name",
            "workstation",
            "nocn.pem",
        ])
        .run();
    let text = String::from_utf8(out.read("clientcerts")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("# ccert: added="), "{text}");
    assert!(lines[1].ends_with(" workstation"), "{text}");
    // A failed add on a missing file leaves no empty file behind.
    let out = out
        .then()
        .fixture("random.bin")
        .args(["--map", "other", "add", "random.bin"])
        .status(1)
        .stderr_contains("random.bin: no certificate found")
        .run();
    assert!(!out.path("other").exists());
}

#[test]
fn expired_certificate_warns_and_is_added() {
    Test::new()
        .fixture("expired.pem")
        .args(["--map", "clientcerts", "add", "expired.pem"])
        .stderr_contains("expired")
        .stdout_contains("expired.example")
        .run();
}

#[test]
fn eight_concurrent_adds_lose_nothing() {
    concurrent_adds(Some(b"# shared map\n"));
}

#[test]
fn eight_concurrent_adds_creating_the_file_lose_nothing() {
    concurrent_adds(None);
}

fn concurrent_adds(initial: Option<&[u8]>) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::create_dir_all(dir.join("postfix-config")).unwrap();
    if let Some(initial) = initial {
        std::fs::write(dir.join("clientcerts"), initial).unwrap();
    }
    let mut expected = HashSet::new();
    for i in 0..8 {
        let fp = make_cert(
            dir,
            &format!("host{i}.pem"),
            &format!("host{i}.example"),
            365,
        );
        expected.insert((fp.to_string(), format!("host{i}.example")));
    }
    // Eight processes at once, each started from its own thread.
    std::thread::scope(|scope| {
        for i in 0..8 {
            scope.spawn(move || ccert(dir, &["add", &format!("host{i}.pem")]).run());
        }
    });
    let got: HashSet<(String, String)> = list_json(dir)
        .iter()
        .map(|e| {
            (
                e["fingerprint"].as_str().unwrap().to_string(),
                e["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let text = std::fs::read_to_string(dir.join("clientcerts")).unwrap();
    let initial = initial.unwrap_or_default();
    assert!(text.as_bytes().starts_with(initial));
    assert_eq!(text.lines().count(), initial.len().min(1) + 8 * 2);
}

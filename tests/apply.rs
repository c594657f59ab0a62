//! `ccert apply FILE`: the list made to match a desired-state file. Exit
//! codes 0/2/1, check and diff modes, JSON output, only ccert's entries
//! changed (hand-written lines byte-exact), tables rebuilt once and not at
//! all when nothing changed, every bad input refused with nothing changed,
//! idempotence on a 10,000-entry list. The pgsql: list is in tests/fleet.rs,
//! the Ansible module in tests/ansible.rs.

use std::path::{Path, PathBuf};

use ccert::cert::{DigestAlgorithm, Fingerprint};

use crate::test::{Finished, Test, fixtures};

/// Lines an admin wrote, with awkward bytes: kept exactly.
const HAND: &[u8] = b"# relay clients, by hand\r\n\
AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99 handwritten   \r\n\
  # an indented comment\n\
odd\\ key value\n";

const RSA_SHA256: &str = "1A:22:04:9F:49:0D:8C:EB:78:BC:DC:AA:A8:F4:60:5E:16:B7:B2:CE:BD:DE:00:26:BC:EE:AC:DA:FD:98:DC:34";

fn fp(seed: usize) -> String {
    Fingerprint::compute(DigestAlgorithm::Sha256, format!("client{seed}").as_bytes()).to_string()
}

/// A scratch directory whose configuration names `cdb:DIR/clientcerts`
/// (sha256), with the admin's lines in `clientcerts`.
fn setup() -> Finished {
    let t = Test::new();
    let dir = t.dir().to_path_buf();
    t.file(
        "postfix-config/main.cf",
        format!(
            "compatibility_level = 3.6\nrelay_clientcerts = cdb:{}/clientcerts\n",
            dir.display()
        ),
    )
    .file("clientcerts", HAND)
    .file(
        "rsa.pem",
        std::fs::read(fixtures().join("rsa.pem")).unwrap(),
    )
    .args(["--version"])
    .run()
}

/// `ccert --map clientcerts apply ARGS` in `dir`.
fn apply(dir: &Path, args: &[&str]) -> Test {
    Test::at(dir)
        .config_dir(dir.join("postfix-config"))
        .args(["--map", "clientcerts", "apply"])
        .args(args)
}

fn toml(clients: &[(&str, &str)]) -> String {
    clients
        .iter()
        .map(|(name, what)| format!("[[client]]\nname = \"{name}\"\n{what}\n\n"))
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn mtime(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn first_run_changes_second_does_not_and_hand_lines_stay() {
    let done = setup();
    let dir = done.path("");
    let desired = toml(&[
        ("rsa", "certificate = \"rsa.pem\""),
        ("laptop", &format!("fingerprint = \"{}\"", fp(1))),
    ]);
    write(&dir, "clients.toml", &desired);

    // --check first: exit 2, nothing written, no table built.
    apply(&dir, &["--check", "clients.toml"])
        .status(2)
        .stdout_contains(format!("would have added {RSA_SHA256} rsa"))
        .run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), HAND);
    assert!(!dir.join("clientcerts.cdb").exists());

    // The run: exit 2, table built once.
    let run = apply(&dir, &["clients.toml"])
        .status(2)
        .stderr_contains("ccert: built ")
        .run();
    assert_eq!(run.stderr.matches("built").count(), 1, "{}", run.stderr);
    assert!(run.stdout.contains(&format!("added {RSA_SHA256} rsa to ")));
    let after = std::fs::read(dir.join("clientcerts")).unwrap();
    assert!(after.starts_with(HAND), "hand-written lines changed");
    let text = String::from_utf8_lossy(&after[HAND.len()..]).into_owned();
    // New lines take the file's line ending (CRLF, from its first line).
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[0].starts_with("# ccert: added="), "{text}");
    assert_eq!(lines[1], format!("{RSA_SHA256} rsa"));
    assert_eq!(lines[3], format!("{} laptop", fp(1)));
    let table = dir.join("clientcerts.cdb");
    let built = mtime(&table);

    // Second run: exit 0, not a byte written, the table not rebuilt.
    std::thread::sleep(std::time::Duration::from_millis(20));
    apply(&dir, &["clients.toml"])
        .stderr("ccert: notice: the list already matches clients.toml; nothing to do\n")
        .run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), after);
    assert_eq!(mtime(&table), built);
    apply(&dir, &["--check", "--format", "json", "clients.toml"])
        .stdout("{\n  \"changed\": false,\n  \"added\": [],\n  \"removed\": [],\n  \"renamed\": []\n}\n")
        .run();

    // The query the table answers is the file's.
    Test::at(&dir)
        .config_dir(dir.join("postfix-config"))
        .args([
            "query",
            &fp(1).to_lowercase(),
            &format!("cdb:{}", dir.join("clientcerts").display()),
        ])
        .stdout("laptop\n")
        .run();
}

#[test]
fn renames_and_removes_only_ccerts_entries_with_diff_and_json() {
    let done = setup();
    let dir = done.path("");
    write(
        &dir,
        "clients.toml",
        &toml(&[
            ("a", &format!("fingerprint = \"{}\"", fp(1))),
            ("b", &format!("fingerprint = \"{}\"", fp(2))),
        ]),
    );
    apply(&dir, &["clients.toml"]).status(2).any_stderr().run();
    let before = std::fs::read(dir.join("clientcerts")).unwrap();

    // b renamed, a dropped, c added: check mode shows it all, changes nothing.
    write(
        &dir,
        "clients.json",
        &format!(
            "{{\"client\": [{{\"name\": \"b2\", \"fingerprint\": \"{}\"}}, {{\"name\": \"c\", \"fingerprint\": \"{}\"}}]}}",
            fp(2),
            fp(3)
        ),
    );
    let check = apply(
        &dir,
        &["--check", "--diff", "--format", "json", "clients.json"],
    )
    .status(2)
    .run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), before);
    let json: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    assert_eq!(json["changed"], true);
    assert_eq!(json["added"][0]["name"], "c");
    assert_eq!(json["removed"][0]["name"], "a");
    assert_eq!(json["renamed"][0]["from"], "b");
    assert_eq!(json["renamed"][0]["to"], "b2");
    let diff = json["diff"].as_str().unwrap();
    assert!(diff.contains(&format!("-{} a\n", fp(1))), "{diff}");
    assert!(
        diff.contains(&format!("-{} b\n+{} b2\n", fp(2), fp(2))),
        "{diff}"
    );
    assert!(diff.contains(&format!("+{} c\n", fp(3))), "{diff}");
    assert!(
        diff.contains("-# ccert: added="),
        "the comment goes with a: {diff}"
    );
    assert!(!diff.contains("handwritten"), "{diff}");

    let run = apply(&dir, &["--diff", "clients.json"])
        .status(2)
        .any_stderr()
        .run();
    assert!(run.stdout.contains("@@ line "), "{}", run.stdout);
    let after = String::from_utf8(std::fs::read(dir.join("clientcerts")).unwrap()).unwrap();
    assert!(after.as_bytes().starts_with(HAND));
    assert!(!after.contains(&fp(1)), "{after}");
    assert!(after.contains(&format!("{} b2\r\n", fp(2))), "{after}");
    assert!(after.contains(&format!("{} c\r\n", fp(3))), "{after}");
    apply(&dir, &["clients.json"]).any_stderr().run();

    // An empty file removes every entry ccert wrote: the admin's lines stay.
    write(&dir, "none.toml", "");
    apply(&dir, &["none.toml"]).status(2).any_stderr().run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), HAND);
}

#[test]
fn a_hand_written_line_is_never_renamed() {
    let done = setup();
    let dir = done.path("");
    let hand = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
    write(
        &dir,
        "same.toml",
        &toml(&[("handwritten", &format!("fingerprint = \"{hand}\""))]),
    );
    // Same name: satisfied; only the missing table is built (a change, once).
    apply(&dir, &["same.toml"])
        .status(2)
        .stdout("built the missing tables of clientcerts\n")
        .any_stderr()
        .run();
    apply(&dir, &["same.toml"]).any_stderr().run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), HAND);
    // Another name: an error, nothing changed.
    write(
        &dir,
        "other.toml",
        &toml(&[("renamed", &format!("fingerprint = \"{hand}\""))]),
    );
    apply(&dir, &["other.toml"])
        .status(1)
        .stderr_contains("clientcerts:2: ")
        .stderr_contains("is in a line ccert did not write, under the name \"handwritten\"")
        .stderr_contains("[[client]] 1 (\"renamed\")")
        .run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), HAND);
}

#[test]
fn bad_input_is_one_error_naming_the_entry_and_changes_nothing() {
    let done = setup();
    let dir = done.path("");
    let md5 = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "missing certificate",
            toml(&[
                ("ok", &format!("fingerprint = \"{}\"", fp(1))),
                ("gone", "certificate = \"gone.pem\""),
            ]),
            "[[client]] 2 (\"gone\"): ",
        ),
        (
            "malformed",
            "[[client]\nname = \"x\"\n".into(),
            "bad.toml:1: not valid TOML",
        ),
        (
            "unknown field",
            "[[client]]\nname = \"x\"\ncert = \"rsa.pem\"\n".into(),
            "bad.toml:3: not valid TOML: unknown field `cert`",
        ),
        (
            "duplicate name",
            toml(&[
                ("x", &format!("fingerprint = \"{}\"", fp(1))),
                ("x", "certificate = \"rsa.pem\""),
            ]),
            "[[client]] 2 (\"x\"): the name is also [[client]] 1's",
        ),
        (
            "duplicate fingerprint",
            toml(&[
                ("x", "certificate = \"rsa.pem\""),
                (
                    "y",
                    &format!("fingerprint = \"{}\"", RSA_SHA256.to_lowercase()),
                ),
            ]),
            "[[client]] 2 (\"y\"): fingerprint ",
        ),
        (
            "wrong length",
            toml(&[("x", &format!("fingerprint = \"{md5}\""))]),
            "[[client]] 1 (\"x\"): fingerprint has 16 bytes, a md5 fingerprint, but the digest is sha256",
        ),
        (
            "neither",
            toml(&[("x", "pubkey = true")]),
            "[[client]] 1 (\"x\"): needs `certificate",
        ),
    ];
    for (what, text, want) in cases {
        write(&dir, "bad.toml", &text);
        let out = apply(&dir, &["bad.toml"]).status(1).any_stderr().run();
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: one line: {}", out.stderr);
        assert!(
            lines[0].starts_with("ccert: error: "),
            "{what}: {}",
            out.stderr
        );
        assert!(
            lines[0].contains("bad.toml"),
            "{what}: names the file: {}",
            out.stderr
        );
        assert!(
            lines[0].contains(want),
            "{what}: {}\nwanted: {want}",
            out.stderr
        );
        assert_eq!(
            std::fs::read(dir.join("clientcerts")).unwrap(),
            HAND,
            "{what}"
        );
        assert!(!dir.join("clientcerts.cdb").exists(), "{what}");
    }
    apply(&dir, &["nonexistent.toml"])
        .status(1)
        .stderr_contains("nonexistent.toml: cannot read")
        .run();
}

#[test]
fn idempotent_on_ten_thousand_entries() {
    const N: usize = 10_000;
    let done = setup();
    let dir = done.path("");
    let clients: String = (0..N)
        .map(|i| {
            format!(
                "[[client]]\nname = \"host{i}.example\"\nfingerprint = \"{}\"\n",
                fp(i)
            )
        })
        .collect();
    write(&dir, "clients.toml", &clients);
    let first = apply(&dir, &["--format", "json", "clients.toml"])
        .status(2)
        .any_stderr()
        .run();
    let json: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(json["added"].as_array().unwrap().len(), N);
    let after = std::fs::read(dir.join("clientcerts")).unwrap();
    assert!(after.starts_with(HAND));
    let table = mtime(&dir.join("clientcerts.cdb"));
    apply(&dir, &["--format", "json", "clients.toml"])
        .stdout("{\n  \"changed\": false,\n  \"added\": [],\n  \"removed\": [],\n  \"renamed\": []\n}\n")
        .run();
    assert_eq!(std::fs::read(dir.join("clientcerts")).unwrap(), after);
    assert_eq!(mtime(&dir.join("clientcerts.cdb")), table);

    // One client less: exactly its two lines go.
    let fewer: String = (0..N)
        .filter(|&i| i != 4321)
        .map(|i| {
            format!(
                "[[client]]\nname = \"host{i}.example\"\nfingerprint = \"{}\"\n",
                fp(i)
            )
        })
        .collect();
    write(&dir, "fewer.toml", &fewer);
    apply(&dir, &["fewer.toml"]).status(2).any_stderr().run();
    let now = String::from_utf8(std::fs::read(dir.join("clientcerts")).unwrap()).unwrap();
    let was = String::from_utf8(after).unwrap();
    assert_eq!(was.lines().count() - 2, now.lines().count());
    assert!(!now.contains(&fp(4321)));
    apply(&dir, &["fewer.toml"]).any_stderr().run();
}

//! `ccert rehash` and the certificate store `ccert add` keeps in `<source>.d/`.

use crate::test::Test;

fn keys_of(source: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(source)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

fn fingerprint(t: Test, digest: &str, pubkey: bool, file: &str) -> (String, Test) {
    let mut args = vec!["fingerprint", "--format", "map", "--digest", digest, file];
    if pubkey {
        args.push("--pubkey");
    }
    let out = t.args(args).run();
    let fp = out.stdout.split_whitespace().next().unwrap().to_string();
    (fp, out.then())
}

#[test]
fn rehash_rewrites_every_entry_to_the_new_digest_keeping_names_and_comments() {
    let t = Test::new()
        .fixture("rsa.pem")
        .fixture("ecdsa.pem")
        .file(
            "clientcerts",
            "# the admin's own comment\nlegacy.key value\n",
        )
        .args(["--map", "clientcerts", "add", "rsa.pem", "--digest", "sha1"])
        .run()
        .then()
        .args([
            "--map",
            "clientcerts",
            "add",
            "ecdsa.pem",
            "--digest",
            "md5",
            "--name",
            "ec-host",
        ])
        .run()
        .then();
    let (rsa256, t) = fingerprint(t, "sha256", false, "rsa.pem");
    let (ec256, t) = fingerprint(t, "sha256", false, "ecdsa.pem");
    let (rsa_pk, t) = fingerprint(t, "sha512", true, "rsa.pem");
    let (ec_pk, t) = fingerprint(t, "sha512", true, "ecdsa.pem");

    let out = t
        .args(["--map", "clientcerts", "rehash", "--digest", "sha256"])
        .stdout_contains("rewrote 2 of 2 entries")
        .run();
    let text = String::from_utf8(out.read("clientcerts")).unwrap();
    assert!(
        text.starts_with("# the admin's own comment\nlegacy.key value\n"),
        "{text}"
    );
    assert_eq!(
        keys_of(text.as_bytes()),
        ["legacy.key", rsa256.as_str(), ec256.as_str()]
    );
    assert!(text.contains(&format!("{ec256} ec-host\n")));
    assert_eq!(text.matches("digest=sha256 type=cert").count(), 2, "{text}");

    let out = out
        .then()
        .args([
            "--map",
            "clientcerts",
            "rehash",
            "--digest",
            "sha512",
            "--pubkey",
        ])
        .run();
    let text = String::from_utf8(out.read("clientcerts")).unwrap();
    assert_eq!(
        keys_of(text.as_bytes()),
        ["legacy.key", rsa_pk.as_str(), ec_pk.as_str()]
    );
    assert_eq!(
        text.matches("digest=sha512 type=pubkey").count(),
        2,
        "{text}"
    );
    // What list reports follows the rewritten file.
    out.then()
        .args(["--map", "clientcerts", "list", "--format", "plain"])
        .stdout_contains(format!("{rsa_pk} rsa.example"))
        .run();
}

#[test]
fn rehash_without_a_stored_certificate_changes_nothing() {
    let source = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99 old-host\n";
    let out = Test::new()
        .file("clientcerts", source)
        .args(["--map", "clientcerts", "rehash", "--digest", "sha256"])
        .status(1)
        .stderr_contains("no stored certificate")
        .stderr_contains("line 1: AA:BB")
        .run();
    assert_eq!(out.read("clientcerts"), source.as_bytes());
}

#[test]
fn add_keeps_a_copy_and_remove_drops_unused_copies() {
    let out = Test::new()
        .fixture("rsa.pem")
        .fixture("ecdsa.pem")
        .args(["--map", "clientcerts", "add", "rsa.pem", "ecdsa.pem"])
        .run();
    let stored = |out: &crate::test::Finished| {
        std::fs::read_dir(out.path("clientcerts.d"))
            .unwrap()
            .count()
    };
    assert_eq!(stored(&out), 2);
    let out = out
        .then()
        .args([
            "--map",
            "clientcerts",
            "remove",
            "--name",
            "rsa.example",
            "--yes",
        ])
        .stderr_contains("1 entry in clientcerts matches the name \"rsa.example\":\n  line 2: ")
        .run();
    assert_eq!(stored(&out), 1);
    // The remaining copy is a certificate ccert reads back to the same fingerprint.
    let file = std::fs::read_dir(out.path("clientcerts.d"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let (kept, t) = fingerprint(out.then(), "sha256", false, file.to_str().unwrap());
    let (ec, _) = fingerprint(t, "sha256", false, "ecdsa.pem");
    assert_eq!(kept, ec);
}

/// On a CRLF source without a final newline, rehash refuses while any
/// entry lacks a stored certificate, listing each under one error and
/// writing nothing; with --skip-unknown it rewrites the rest, each line
/// keeping one CR, and lists the entries it left.
#[test]
fn rehash_lists_each_entry_without_a_certificate_and_keeps_crlf() {
    let out = Test::new()
        .fixture("rsa.pem")
        .args(["--map", "clientcerts", "add", "rsa.pem", "--digest", "sha1"])
        .any_stderr()
        .run();
    let added = String::from_utf8(out.read("clientcerts")).unwrap();
    let unknown = [
        "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99 old-host",
        "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF other-host",
    ];
    let source = format!(
        "{}{}\r\n{}",
        added.replace('\n', "\r\n"),
        unknown[0],
        unknown[1]
    );
    std::fs::write(out.path("clientcerts"), &source).unwrap();
    let (rsa256, t) = fingerprint(out.then(), "sha256", false, "rsa.pem");
    let out = t
        .args(["--map", "clientcerts", "rehash", "--digest", "sha256"])
        .status(1)
        .stderr(format!(
            "ccert: error: clientcerts: no stored certificate (in clientcerts.d) for these \
             entries, so they cannot be re-digested; nothing changed. Add each certificate \
             again with `ccert add CERT --replace`, or remove the entry, then run rehash again \
             (or pass --skip-unknown to leave them):\n  line 3: {}\n  line 4: {}\n",
            unknown[0], unknown[1]
        ))
        .run();
    assert_eq!(out.read("clientcerts"), source.as_bytes());
    let out = out
        .then()
        .args([
            "--map",
            "clientcerts",
            "rehash",
            "--digest",
            "sha256",
            "--skip-unknown",
        ])
        .stdout_contains("rewrote 1 of 1 entries")
        .stderr_contains(format!(
            "or remove them:\n  line 3: {}\n  line 4: {}\n",
            unknown[0], unknown[1]
        ))
        .run();
    let text = String::from_utf8(out.read("clientcerts")).unwrap();
    assert!(
        text.contains(&format!("\r\n{rsa256} rsa.example\r\n")),
        "{text:?}"
    );
    assert!(text.contains("digest=sha256 type=cert"), "{text:?}");
    assert!(!text.contains("\r\r"), "{text:?}");
    assert!(
        text.ends_with(&format!("{}\r\n{}", unknown[0], unknown[1])),
        "{text:?}"
    );
}

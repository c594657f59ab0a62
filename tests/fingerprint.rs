//! `ccert fingerprint` against the fixtures: recorded openssl output always,
//! live openssl when installed; output formats; stdin; bad inputs; and a
//! property test that the certificate reader never panics.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use ccert::cert::{DigestAlgorithm, Fingerprint, NoPassword, parse_certificates};
use proptest::prelude::*;

use crate::oracle;
use crate::test::{Test, fixtures};

/// Every fixture that holds certificates, with how many.
const CERT_FIXTURES: &[(&str, usize)] = &[
    ("rsa.pem", 1),
    ("ecdsa.pem", 1),
    ("ed25519.pem", 1),
    ("ca.pem", 1),
    ("rsa.der", 1),
    ("bundle.pem", 3),
    ("key-and-cert.pem", 1),
    ("text.pem", 1),
    ("crlf.pem", 1),
    ("trusted.pem", 1),
    ("expired.pem", 1),
    ("nocn.pem", 1),
    ("utf8.pem", 1),
];

/// Fixtures that are not certificate files, with a phrase the error must contain.
const BAD_FIXTURES: &[(&str, &str)] = &[
    (
        "truncated.pem",
        "truncated.pem:1: `-----BEGIN CERTIFICATE-----` has no",
    ),
    (
        "badbase64.pem",
        "badbase64.pem:3: the `CERTIFICATE` block is not valid base64",
    ),
    ("random.bin", "random.bin: no certificate found"),
    ("key.pem", "key.pem: no certificate found"),
    ("csr.pem", "csr.pem: no certificate found"),
    ("empty.pem", "empty.pem: the file is empty"),
    (
        "truncated.der",
        "truncated.der: the file is damaged or cut short: truncated DER",
    ),
];

/// The openssl name options that print names the way ccert does.
const NAMEOPT: &str = "RFC2253,-esc_msb,sep_comma_plus_space,sname";

const DIGESTS: [&str; 6] = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

/// (file, index, digest, kind) → fingerprint, from fixtures/expected-fingerprints.txt.
type Expected = BTreeMap<(String, usize, String, String), String>;

fn expected() -> Expected {
    let text = fs::read_to_string(fixtures().join("expected-fingerprints.txt")).unwrap();
    let mut map = Expected::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 5, "bad line {line:?}");
        let key = (
            f[0].to_string(),
            f[1].parse().unwrap(),
            f[2].to_string(),
            f[3].to_string(),
        );
        map.insert(key, f[4].to_string());
    }
    map
}

fn all_cert_files() -> Vec<&'static str> {
    CERT_FIXTURES.iter().map(|(f, _)| *f).collect()
}

/// Runs `ccert fingerprint ARGS FILES` in the fixtures directory.
fn fingerprint_in_fixtures(args: &[&str], files: &[&str]) -> crate::test::Finished {
    let mut t = Test::new();
    for f in files {
        t = t.fixture(f);
    }
    t.arg("fingerprint").args(args).args(files).run()
}

#[test]
fn recorded_fingerprints_match_every_fixture_digest_and_kind() {
    let expected = expected();
    let files = all_cert_files();
    let mut compared = 0;
    for digest in DIGESTS {
        for pubkey in [false, true] {
            let kind = if pubkey { "pubkey" } else { "cert" };
            let mut args = vec!["--format", "json", "--digest", digest];
            if pubkey {
                args.push("--pubkey");
            }
            let out = fingerprint_in_fixtures(&args, &files);
            let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            let entries = json.as_array().unwrap();
            let total: usize = CERT_FIXTURES.iter().map(|(_, n)| n).sum();
            assert_eq!(entries.len(), total);
            for e in entries {
                let file = e["file"].as_str().unwrap().to_string();
                let index = e["index"].as_u64().unwrap() as usize;
                assert_eq!(e["digest"], digest);
                assert_eq!(e["pubkey"], pubkey);
                let key = (file, index, digest.to_string(), kind.to_string());
                let want = expected
                    .get(&key)
                    .unwrap_or_else(|| panic!("{key:?} not recorded"));
                assert_eq!(e["fingerprint"].as_str().unwrap(), want, "{key:?}");
                compared += 1;
            }
        }
    }
    // Everything recorded was compared.
    assert_eq!(compared, expected.len());
}

#[test]
fn same_certificate_in_every_encoding_has_one_fingerprint() {
    let expected = expected();
    let fp = |file: &str, index: usize| {
        expected[&(file.into(), index, "sha256".into(), "cert".into())].clone()
    };
    assert_eq!(fp("rsa.pem", 1), fp("rsa.der", 1));
    assert_eq!(fp("rsa.pem", 1), fp("text.pem", 1));
    assert_eq!(fp("rsa.pem", 1), fp("bundle.pem", 1));
    assert_eq!(fp("ecdsa.pem", 1), fp("crlf.pem", 1));
    assert_eq!(fp("ecdsa.pem", 1), fp("bundle.pem", 2));
    assert_eq!(fp("ecdsa.pem", 1), fp("key-and-cert.pem", 1));
    assert_eq!(fp("ca.pem", 1), fp("bundle.pem", 3));
    assert_eq!(fp("ed25519.pem", 1), fp("trusted.pem", 1));
}

/// The certificate blocks of a PEM file, each as its own PEM text (CRLF removed).
fn split_pem(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        let is_cert = |kw: &str| {
            ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]
                .iter()
                .any(|l| line == format!("-----{kw} {l}-----"))
        };
        if is_cert("BEGIN") {
            cur = Some(String::new());
        }
        if let Some(c) = cur.as_mut() {
            c.push_str(line);
            c.push('\n');
        }
        if is_cert("END") {
            parts.extend(cur.take());
        }
    }
    parts
}

/// Writes each certificate of a fixture to its own file for openssl: (path, -inform).
fn openssl_parts(dir: &Path, file: &str) -> Vec<(String, &'static str)> {
    let bytes = fs::read(fixtures().join(file)).unwrap();
    if file.ends_with(".der") {
        return vec![(fixtures().join(file).display().to_string(), "DER")];
    }
    split_pem(&String::from_utf8_lossy(&bytes))
        .into_iter()
        .enumerate()
        .map(|(i, pem)| {
            let p = dir.join(format!("{file}.{}", i + 1));
            fs::write(&p, pem).unwrap();
            (p.display().to_string(), "PEM")
        })
        .collect()
}

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn openssl_format_byte_equals_live_openssl() {
    let Some(openssl) = oracle::require("openssl", "openssl_format_byte_equals_live_openssl")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (file, count) in CERT_FIXTURES {
        let parts = openssl_parts(tmp.path(), file);
        assert_eq!(parts.len(), *count, "{file}");
        for digest in DIGESTS {
            let ours =
                fingerprint_in_fixtures(&["--format", "openssl", "--digest", digest], &[file]);
            let ours: Vec<&str> = ours.stdout.lines().collect();
            assert_eq!(ours.len(), *count, "{file}");
            for (i, (part, inform)) in parts.iter().enumerate() {
                let theirs = oracle::run_ok(
                    &openssl,
                    &[
                        "x509",
                        "-inform",
                        inform,
                        "-in",
                        part,
                        "-noout",
                        "-fingerprint",
                        &format!("-{digest}"),
                    ],
                );
                assert_eq!(
                    format!("{}\n", ours[i]),
                    theirs,
                    "{file}[{}] -{digest}",
                    i + 1
                );
            }
        }
    }
}

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn pubkey_fingerprints_equal_live_openssl_spki_pipeline() {
    let Some(openssl) = oracle::require(
        "openssl",
        "pubkey_fingerprints_equal_live_openssl_spki_pipeline",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (file, _) in CERT_FIXTURES {
        let parts = openssl_parts(tmp.path(), file);
        // The SPKI DER of each certificate, through openssl's own pipeline
        // (x509 -pubkey | pkey -pubin -outform DER), kept in files.
        let spki: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, (part, inform))| {
                let pubpem = tmp.path().join(format!("{file}.{i}.pub.pem"));
                let pubder = tmp.path().join(format!("{file}.{i}.pub.der"));
                let pubpem = pubpem.display().to_string();
                let pubder = pubder.display().to_string();
                oracle::run_ok(
                    &openssl,
                    &[
                        "x509", "-inform", inform, "-in", part, "-noout", "-pubkey", "-out",
                        &pubpem,
                    ],
                );
                oracle::run_ok(
                    &openssl,
                    &[
                        "pkey", "-pubin", "-in", &pubpem, "-outform", "DER", "-out", &pubder,
                    ],
                );
                pubder
            })
            .collect();
        for digest in DIGESTS {
            let out =
                fingerprint_in_fixtures(&["--pubkey", "--format", "json", "-d", digest], &[file]);
            let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            for (i, der) in spki.iter().enumerate() {
                let dgst = oracle::run_ok(&openssl, &["dgst", &format!("-{digest}"), "-c", der]);
                let theirs = dgst.trim().rsplit(' ').next().unwrap().to_ascii_uppercase();
                assert_eq!(
                    json[i]["fingerprint"].as_str().unwrap(),
                    theirs,
                    "{file}[{}] pubkey -{digest}",
                    i + 1
                );
            }
        }
    }
}

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn json_serial_and_dates_equal_live_openssl() {
    let Some(openssl) = oracle::require("openssl", "json_serial_and_dates_equal_live_openssl")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (file, _) in CERT_FIXTURES {
        let out = fingerprint_in_fixtures(&["--format", "json"], &[file]);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        for (i, (part, inform)) in openssl_parts(tmp.path(), file).iter().enumerate() {
            let serial = oracle::run_ok(
                &openssl,
                &["x509", "-inform", inform, "-in", part, "-noout", "-serial"],
            );
            assert_eq!(
                format!("serial={}\n", json[i]["serial"].as_str().unwrap()),
                serial,
                "{file}[{}]",
                i + 1
            );
            // Names: openssl's RFC 2253 form with `, ` separators and short names.
            for (field, flag) in [("subject", "-subject"), ("issuer", "-issuer")] {
                let name = oracle::run_ok(
                    &openssl,
                    &[
                        "x509", "-inform", inform, "-in", part, "-noout", flag, "-nameopt", NAMEOPT,
                    ],
                );
                assert_eq!(
                    name,
                    format!("{field}={}\n", json[i][field].as_str().unwrap()),
                    "{file}[{}]",
                    i + 1
                );
            }
            // -dateopt iso_8601 prints `notAfter=2126-10-30 19:39:26Z`.
            let dates = oracle::run_ok(
                &openssl,
                &[
                    "x509", "-inform", inform, "-in", part, "-noout", "-dates", "-dateopt",
                    "iso_8601",
                ],
            );
            let iso = |field: &str| json[i][field].as_str().unwrap().replacen('T', " ", 1);
            assert_eq!(
                dates,
                format!(
                    "notBefore={}\nnotAfter={}\n",
                    iso("not_before"),
                    iso("not_after")
                ),
                "{file}[{}]",
                i + 1
            );
        }
    }
}

/// The system's CA bundle (~140 real certificates from many issuers, with
/// every name oddity) read like openssl reads it, when it is there.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn system_ca_bundle_equals_live_openssl() {
    let Some(openssl) = oracle::require("openssl", "system_ca_bundle_equals_live_openssl") else {
        return;
    };
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if !bundle.is_file() {
        eprintln!(
            "skipping system_ca_bundle_equals_live_openssl: no {}",
            bundle.display()
        );
        return;
    }
    let text = fs::read_to_string(bundle).unwrap();
    let parts = split_pem(&text);
    let out = Test::new()
        .args(["fingerprint", "--format", "json", "-d", "sha1"])
        .arg(bundle.display().to_string())
        .run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let json = json.as_array().unwrap();
    assert_eq!(json.len(), parts.len());
    let tmp = tempfile::tempdir().unwrap();
    for (i, pem) in parts.iter().enumerate() {
        let p = tmp.path().join(format!("{i}.pem"));
        fs::write(&p, pem).unwrap();
        let p = p.display().to_string();
        let theirs = oracle::run_ok(
            &openssl,
            &[
                "x509",
                "-in",
                &p,
                "-noout",
                "-fingerprint",
                "-sha1",
                "-subject",
                "-nameopt",
                NAMEOPT,
            ],
        );
        let ours = format!(
            "sha1 Fingerprint={}\nsubject={}\n",
            json[i]["fingerprint"].as_str().unwrap(),
            json[i]["subject"].as_str().unwrap()
        );
        assert_eq!(
            ours,
            theirs,
            "certificate {} of {}",
            i + 1,
            bundle.display()
        );
    }
}

#[test]
fn text_format_shows_digest_source_and_subject() {
    let exp = expected();
    let fp = |f: &str, i: usize, d: &str, k: &str| exp[&(f.into(), i, d.into(), k.into())].clone();
    // The default digest without a Postfix configuration is sha256.
    Test::new()
        .fixture("rsa.pem")
        .args(["fingerprint", "rsa.pem"])
        .stdout(format!(
            "sha256 {} rsa.pem CN=rsa.example, O=ccert tests, C=DE\n",
            fp("rsa.pem", 1, "sha256", "cert")
        ))
        .run();
    Test::new()
        .fixture("bundle.pem")
        .args(["fingerprint", "--digest", "sha1", "--pubkey", "bundle.pem"])
        .stdout(format!(
            "sha1-pubkey {} bundle.pem[1] CN=rsa.example, O=ccert tests, C=DE\n\
             sha1-pubkey {} bundle.pem[2] CN=ecdsa.example, O=ccert tests\n\
             sha1-pubkey {} bundle.pem[3] CN=ccert Test CA, O=ccert tests\n",
            fp("bundle.pem", 1, "sha1", "pubkey"),
            fp("bundle.pem", 2, "sha1", "pubkey"),
            fp("bundle.pem", 3, "sha1", "pubkey"),
        ))
        .run();
    Test::new()
        .fixture("expired.pem")
        .fixture("utf8.pem")
        .args(["fingerprint", "-d", "md5", "expired.pem", "utf8.pem"])
        .stdout(format!(
            "md5 {} expired.pem O=ccert tests, CN=expired.example [expired 2021-01-01]\n\
             md5 {} utf8.pem CN=Mailhost Zürich, O=ccert tests\n",
            fp("expired.pem", 1, "md5", "cert"),
            fp("utf8.pem", 1, "md5", "cert"),
        ))
        .run();
}

#[test]
fn openssl_format_labels_and_pubkey() {
    let exp = expected();
    for digest in DIGESTS {
        for (pubkey, kind) in [(false, "cert"), (true, "pubkey")] {
            let mut args = vec!["--format", "openssl", "-d", digest];
            if pubkey {
                args.push("--pubkey");
            }
            let out = fingerprint_in_fixtures(&args, &["ecdsa.pem"]);
            let want = &exp[&("ecdsa.pem".into(), 1, digest.into(), kind.into())];
            assert_eq!(out.stdout, format!("{digest} Fingerprint={want}\n"));
        }
    }
}

#[test]
fn map_format_is_a_source_line_named_by_cn() {
    let exp = expected();
    let fp = |f: &str, i: usize| exp[&(f.into(), i, "sha256".into(), "cert".into())].clone();
    Test::new()
        .fixture("bundle.pem")
        .fixture("utf8.pem")
        .args(["fingerprint", "--format", "map", "bundle.pem", "utf8.pem"])
        .stdout(format!(
            "{} rsa.example\n{} ecdsa.example\n{} ccert Test CA\n{} Mailhost Zürich\n",
            fp("bundle.pem", 1),
            fp("bundle.pem", 2),
            fp("bundle.pem", 3),
            fp("utf8.pem", 1),
        ))
        .run();
    let pk = &exp[&("rsa.pem".into(), 1, "sha512".into(), "pubkey".into())];
    Test::new()
        .fixture("rsa.pem")
        .args(["fingerprint", "-f", "map", "-p", "-d", "sha512", "rsa.pem"])
        .stdout(format!("{pk} rsa.example\n"))
        .run();
}

#[test]
fn map_format_without_cn_fails_for_that_certificate_only() {
    let exp = expected();
    let out = Test::new()
        .fixture("nocn.pem")
        .fixture("rsa.pem")
        .args(["fingerprint", "--format", "map", "nocn.pem", "rsa.pem"])
        .status(1)
        .stderr_contains("ccert: error: nocn.pem: the certificate has no subject commonName")
        .stderr_contains("--name")
        .run();
    assert_eq!(
        out.stdout,
        format!(
            "{} rsa.example\n",
            exp[&("rsa.pem".into(), 1, "sha256".into(), "cert".into())]
        )
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn json_format_fields() {
    let out = fingerprint_in_fixtures(
        &["--format", "json", "--digest", "sha384"],
        &["expired.pem", "nocn.pem", "bundle.pem"],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let a = json.as_array().unwrap();
    assert_eq!(a.len(), 5);
    let e = &a[0];
    assert_eq!(e["file"], "expired.pem");
    assert_eq!(e["index"], 1);
    assert_eq!(e["digest"], "sha384");
    assert_eq!(e["pubkey"], false);
    assert_eq!(e["subject"], "O=ccert tests, CN=expired.example");
    assert_eq!(e["issuer"], "O=ccert tests, CN=expired.example");
    assert_eq!(e["common_name"], "expired.example");
    assert_eq!(e["not_before"], "2020-01-01T00:00:00Z");
    assert_eq!(e["not_after"], "2021-01-01T00:00:00Z");
    assert_eq!(e["expired"], true);
    assert_eq!(e["serial"], "01");
    assert_eq!(a[1]["common_name"], serde_json::Value::Null);
    assert_eq!(a[1]["subject"], "OU=no common name, O=ccert tests");
    assert_eq!(a[1]["expired"], false);
    assert_eq!(a[2]["issuer"], "CN=ccert Test CA, O=ccert tests");
    assert_eq!(a[4]["index"], 3);
    assert_eq!(a[4]["file"], "bundle.pem");
    for e in a {
        let fp = Fingerprint::parse(e["fingerprint"].as_str().unwrap()).unwrap();
        assert_eq!(fp.algorithm, DigestAlgorithm::Sha384);
    }
    // An empty result is still a JSON array.
    let out = Test::new()
        .fixture("key.pem")
        .args(["fingerprint", "--format", "json", "key.pem"])
        .status(1)
        .stderr_contains("ccert: error: key.pem: no certificate found")
        .run();
    assert_eq!(out.stdout.trim(), "[]");
}

#[test]
fn stdin_is_read_for_dash() {
    let exp = expected();
    for file in [
        "rsa.pem",
        "rsa.der",
        "trusted.pem",
        "bundle.pem",
        "text.pem",
        "crlf.pem",
    ] {
        let bytes = fs::read(fixtures().join(file)).unwrap();
        let out = Test::new()
            .stdin(bytes)
            .args(["fingerprint", "--format", "json", "-d", "sha1", "-"])
            .run();
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        for (i, e) in json.as_array().unwrap().iter().enumerate() {
            assert_eq!(e["file"], "-");
            assert_eq!(
                e["fingerprint"].as_str().unwrap(),
                exp[&(file.into(), i + 1, "sha1".into(), "cert".into())]
            );
        }
    }
    Test::new()
        .stdin("not a certificate\n")
        .args(["fingerprint", "-"])
        .status(1)
        .stderr("ccert: error: standard input: no certificate found; expected a PEM or DER certificate, a PKCS#7 bundle or a PKCS#12 file\n")
        .run();
}

#[test]
fn bad_inputs_exit_1_name_the_file_and_the_rest_is_still_processed() {
    let exp = expected();
    let good = &exp[&("ecdsa.pem".into(), 1, "sha256".into(), "cert".into())];
    for (bad, message) in BAD_FIXTURES {
        for format in ["text", "openssl", "map", "json"] {
            let out = Test::new()
                .fixture(bad)
                .fixture("ecdsa.pem")
                .args(["fingerprint", "--format", format, bad, "ecdsa.pem"])
                .status(1)
                .stderr_contains(format!("ccert: error: {message}"))
                .run();
            assert!(
                out.stdout.contains(good.as_str()),
                "{bad} {format}: {}",
                out.stdout
            );
            assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        }
    }
    // Several bad files: each reported, in order, good ones in between printed.
    let out = Test::new()
        .fixture("empty.pem")
        .fixture("rsa.pem")
        .fixture("key.pem")
        .args([
            "fingerprint",
            "empty.pem",
            "rsa.pem",
            "missing.pem",
            "key.pem",
        ])
        .status(1)
        // Checked line by line below.
        .any_stderr()
        .run();
    let errors: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(errors.len(), 3, "{}", out.stderr);
    assert!(errors[0].starts_with("ccert: error: empty.pem: "));
    assert!(errors[1].starts_with("ccert: error: missing.pem: cannot read: "));
    assert!(errors[2].starts_with("ccert: error: key.pem: "));
    assert!(errors[2].contains("PRIVATE KEY"));
    assert_eq!(out.stdout.lines().count(), 1);
}

#[test]
fn der_trailing_garbage_and_concatenation() {
    let der = fs::read(fixtures().join("rsa.der")).unwrap();
    let mut garbage = der.clone();
    garbage.extend_from_slice(b"garbage\n");
    Test::new()
        .file("garbage.der", &garbage)
        .args(["fingerprint", "garbage.der"])
        .status(1)
        .stderr(format!(
            "ccert: error: garbage.der: 8 bytes of trailing garbage after the certificate \
             ending at offset {}; the file is damaged or not a certificate\n",
            der.len()
        ))
        .run();
    // Two DER certificates back to back are two certificates.
    let mut two = der.clone();
    two.extend_from_slice(&der);
    let out = Test::new()
        .file("two.der", &two)
        .args(["fingerprint", "two.der"])
        .run();
    assert_eq!(out.stdout.lines().count(), 2);
    assert!(out.stdout.contains("two.der[2]"));
    // A PEM CERTIFICATE block with bytes after the DER.
    let pem = pem_block("CERTIFICATE", &garbage);
    Test::new()
        .file("extra.pem", pem)
        .args(["fingerprint", "extra.pem"])
        .status(1)
        .stderr_contains("extra.pem:1: 8 bytes of trailing garbage")
        .run();
    // ... which is fine in a TRUSTED CERTIFICATE block (that is where the trust data goes).
    let pem = pem_block("TRUSTED CERTIFICATE", &garbage);
    let exp = expected();
    Test::new()
        .file("trusted.pem", pem)
        .args(["fingerprint", "-f", "openssl", "trusted.pem"])
        .stdout(format!(
            "sha256 Fingerprint={}\n",
            exp[&("rsa.der".into(), 1, "sha256".into(), "cert".into())]
        ))
        .run();
}

fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// Whether `s` holds two hex digits, `:`, two hex digits anywhere.
fn has_colon_hex(s: &str) -> bool {
    s.as_bytes().windows(5).any(|w| {
        w[0].is_ascii_hexdigit()
            && w[1].is_ascii_hexdigit()
            && w[2] == b':'
            && w[3].is_ascii_hexdigit()
            && w[4].is_ascii_hexdigit()
    })
}

#[test]
fn no_colon_hex_but_fingerprints_in_text_map_openssl() {
    let exp = expected();
    let files = all_cert_files();
    for format in ["text", "map", "openssl"] {
        for pubkey in [false, true] {
            let mut args = vec!["--format", format, "-d", "sha1"];
            if pubkey {
                args.push("--pubkey");
            }
            // nocn.pem has no CN, so map fails for it (exit 1); the others print.
            let mut t = Test::new();
            for f in &files {
                t = t.fixture(f);
            }
            if format == "map" {
                t = t.status(1).stderr_contains(
                    "ccert: error: nocn.pem: the certificate has no subject commonName",
                );
            }
            let out = t.arg("fingerprint").args(&args).args(&files).run();
            let kind = if pubkey { "pubkey" } else { "cert" };
            let fingerprints: Vec<&String> = exp
                .iter()
                .filter(|((_, _, d, k), _)| d == "sha1" && k == kind)
                .map(|(_, v)| v)
                .collect();
            for line in out.stdout.lines() {
                let fp = fingerprints
                    .iter()
                    .find(|fp| line.contains(fp.as_str()))
                    .unwrap_or_else(|| panic!("no expected fingerprint in {line:?}"));
                let rest = line.replacen(fp.as_str(), "", 1);
                assert!(!has_colon_hex(&rest), "{format}: colon-hex in {line:?}");
            }
        }
    }
}

#[test]
fn help_documents_the_formats() {
    let out = Test::new().args(["fingerprint", "--help"]).run();
    for s in [
        "--pubkey",
        "sha256-pubkey",
        "FILE[N]",
        "sha256 Fingerprint=",
        "map",
        "json",
        "ccert add FILE --name NAME",
        "standard input",
    ] {
        assert!(out.stdout.contains(s), "help lacks {s}");
    }
}

#[test]
fn library_reads_every_fixture_like_openssl() {
    let exp = expected();
    for (file, count) in CERT_FIXTURES {
        let bytes = fs::read(fixtures().join(file)).unwrap();
        let certs = parse_certificates(&bytes, Path::new(file), &NoPassword).unwrap();
        assert_eq!(certs.len(), *count, "{file}");
        for (i, cert) in certs.iter().enumerate() {
            for d in DigestAlgorithm::ALL {
                for (pubkey, kind) in [(false, "cert"), (true, "pubkey")] {
                    assert_eq!(
                        cert.fingerprint(d, pubkey).to_string(),
                        exp[&(file.to_string(), i + 1, d.name().into(), kind.into())],
                        "{file}[{}] {d} {kind}",
                        i + 1
                    );
                }
            }
        }
    }
    for (file, message) in BAD_FIXTURES {
        let bytes = fs::read(fixtures().join(file)).unwrap();
        let err = parse_certificates(&bytes, Path::new(file), &NoPassword).unwrap_err();
        let line = ccert::report::chain_line(&err);
        assert!(line.starts_with(message), "{file}: {line}");
    }
}

fn fixture_bytes() -> Vec<Vec<u8>> {
    [
        "rsa.pem",
        "rsa.der",
        "bundle.pem",
        "trusted.pem",
        "text.pem",
    ]
    .iter()
    .map(|f| fs::read(fixtures().join(f)).unwrap())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes never panic the reader.
    #[test]
    fn reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = parse_certificates(&bytes, Path::new("fuzz"), &NoPassword);
    }

    /// Arbitrary bytes behind a DER-looking start or inside a PEM frame never panic either.
    #[test]
    fn reader_never_panics_on_framed_garbage(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        len in any::<u16>(),
        label in prop::sample::select(vec!["CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE", "PRIVATE KEY"]),
    ) {
        let mut der = vec![0x30, 0x82];
        der.extend(len.to_be_bytes());
        der.extend(&body);
        let _ = parse_certificates(&der, Path::new("fuzz.der"), &NoPassword);
        let pem = pem_block(label, &der);
        let _ = parse_certificates(pem.as_bytes(), Path::new("fuzz.pem"), &NoPassword);
    }

    /// Damaged real certificates (bytes changed, cut short) never panic, and a
    /// cut-short file is never read as a certificate of a different length.
    #[test]
    fn reader_never_panics_on_damaged_fixtures(
        which in 0usize..5,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = fixture_bytes().swap_remove(which);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let _ = parse_certificates(&bytes, Path::new("damaged"), &NoPassword);
        let cut = cut.index(bytes.len());
        if let Ok(certs) = parse_certificates(&bytes[..cut], Path::new("cut"), &NoPassword) {
            for c in certs {
                prop_assert!(c.der.len() <= cut);
            }
        }
    }
}

/// (file, index) → sha256 fingerprint, from fixtures/expected-odd.txt (make-odd.sh).
fn expected_odd() -> Vec<(String, usize, String)> {
    let text = fs::read_to_string(fixtures().join("expected-odd.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 3, "bad line {line:?}");
            (f[0].to_string(), f[1].parse().unwrap(), f[2].to_string())
        })
        .collect()
}

#[test]
fn odd_certificates_and_containers_match_recorded_openssl() {
    let expected = expected_odd();
    let mut files: Vec<&str> = expected.iter().map(|(f, _, _)| f.as_str()).collect();
    files.dedup();
    assert_eq!(files.len(), 15, "make-odd.sh writes 15 files");
    for file in files {
        let want: String = expected
            .iter()
            .filter(|(f, _, _)| f == file)
            .map(|(_, _, fp)| format!("sha256 Fingerprint={fp}\n"))
            .collect();
        Test::new()
            .fixture(file)
            .env("CCERT_PASSWORD", "secret")
            .args(["fingerprint", "-f", "openssl", "-d", "sha256", file])
            .stdout(want)
            .run();
    }
}

#[test]
fn ber_outer_fields_hash_the_der_openssl_reencodes() {
    // The file's bytes differ from rsa.der, the fingerprint must not.
    let ber = fs::read(fixtures().join("ber-outer.der")).unwrap();
    let der = fs::read(fixtures().join("rsa.der")).unwrap();
    assert_ne!(ber, der);
    let certs = parse_certificates(&ber, Path::new("ber-outer.der"), &NoPassword).unwrap();
    assert_eq!(certs[0].der, der);
}

#[test]
fn malformed_dates_are_unknown_not_fatal() {
    let out = Test::new()
        .fixture("bad-date.der")
        .args(["fingerprint", "-f", "json", "bad-date.der"])
        .run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json[0]["not_after"], serde_json::Value::Null);
    assert_eq!(json[0]["not_before"], "2026-11-23T19:39:26Z");
    assert_eq!(json[0]["expired"], false);
    // add records the entry and says why expiry is not checked.
    Test::new()
        .fixture("bad-date.der")
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--no-compile",
            "-d",
            "sha256",
            "bad-date.der",
        ])
        .stderr_contains(
            "ccert: warning: bad-date.der: its validity dates are malformed, so ccert cannot \
             tell whether it has expired",
        )
        .stdout_contains("rsa.example")
        .run();
}

#[test]
fn pkcs12_passwords() {
    let needs = "ccert: error: aes.p12: the PKCS#12 file is protected by a password; give it \
                 with --pkcs12-password-file FILE or the CCERT_PASSWORD environment variable\n";
    Test::new()
        .fixture("aes.p12")
        .args(["fingerprint", "aes.p12"])
        .status(1)
        .stderr(needs)
        .run();
    Test::new()
        .fixture("legacy.p12")
        .env("CCERT_PASSWORD", "wrong")
        .args(["fingerprint", "legacy.p12"])
        .status(1)
        .stderr("ccert: error: legacy.p12: wrong password for the PKCS#12 file\n")
        .run();
    // --password-file wins over the environment; its line end is not part of the password.
    let out = Test::new()
        .fixture("3des.pfx")
        .file("pw", "secret\n")
        .env("CCERT_PASSWORD", "wrong")
        .args([
            "fingerprint",
            "--pkcs12-password-file",
            "pw",
            "-f",
            "map",
            "3des.pfx",
        ])
        .run();
    assert!(out.stdout.contains(" p12.example\n"), "{}", out.stdout);
    Test::new()
        .args(["fingerprint", "--pkcs12-password-file", "nosuch", "x.pem"])
        .status(1)
        .stderr("ccert: error: nosuch: cannot read the password file: no such file or directory\n")
        .run();
    // No password at all (and none asked for).
    for file in ["nopass.p12", "nomac.p12"] {
        let out = Test::new().fixture(file).args(["fingerprint", file]).run();
        assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    }
    // Without a MAC, a wrong password shows only when the certificates do not decrypt.
    for password in ["wrong", "", "secre", "secret2"] {
        Test::new()
            .fixture("nomac-aes.p12")
            .env("CCERT_PASSWORD", password)
            .args(["fingerprint", "nomac-aes.p12"])
            .status(1)
            .stderr("ccert: error: nomac-aes.p12: wrong password for the PKCS#12 file\n")
            .run();
    }
}

/// add reads containers; of several certificates it takes the first only
/// when the others are its issuer chain (names and signatures checked), and
/// refuses a bundle of unrelated ones (bundle.p7b: two siblings and their
/// CA) instead of guessing.
#[test]
fn containers_are_read_by_add() {
    // rsa.pem and the CA that issued it, as a fullchain.pem holds them.
    let chain = [
        fs::read(fixtures().join("rsa.pem")).unwrap(),
        fs::read(fixtures().join("ca.pem")).unwrap(),
    ]
    .concat();
    let out = Test::new()
        .file("fullchain.pem", chain)
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--no-compile",
            "fullchain.pem",
        ])
        .stderr_contains("using the first of 2 certificates (the others are its issuer chain)")
        .run();
    let source = fs::read_to_string(out.path("clientcerts")).unwrap();
    assert!(source.contains(" rsa.example\n"), "{source}");
    // The PKCS#12 fixtures hold a self-signed certificate beside ca.pem:
    // not its chain.
    Test::new()
        .fixture("nopass.p12")
        .file("clientcerts", "")
        .args(["--map", "clientcerts", "add", "nopass.p12"])
        .status(1)
        .stderr_contains("(certificate 1 \"CN=p12.example, O=ccert tests\" is not issued by")
        .run();
    let out = Test::new()
        .fixture("bundle.p7b")
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--no-compile",
            "-d",
            "sha256",
            "bundle.p7b",
        ])
        .status(1)
        .stderr(
            "ccert: error: bundle.p7b: holds 3 certificates that are not one certificate and its \
             issuer chain (certificate 1 \"CN=rsa.example, O=ccert tests, C=DE\" is not issued by \
             certificate 2 \"CN=ecdsa.example, O=ccert tests\"); give each client certificate in a \
             file of its own\n",
        )
        .run();
    assert_eq!(out.read("clientcerts"), b"");
}

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn fresh_pkcs12_and_pkcs7_equal_live_openssl() {
    let Some(openssl) = oracle::require("openssl", "fresh_pkcs12_and_pkcs7_equal_live_openssl")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    oracle::run_ok(
        &openssl,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &p("k.pem"),
            "-out",
            &p("c.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=live.example",
        ],
    );
    let want = oracle::run_ok(
        &openssl,
        &[
            "x509",
            "-in",
            &p("c.pem"),
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    let (key, cert) = (p("k.pem"), p("c.pem"));
    let export = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "pkcs12", "-export", "-inkey", &key, "-in", &cert, "-out", out, "-passout", "pass:pw",
        ];
        args.extend_from_slice(extra);
        oracle::run_ok(&openssl, &args);
    };
    export(&p("default.p12"), &[]);
    export(&p("legacy.p12"), &["-legacy"]);
    oracle::run_ok(
        &openssl,
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            &p("c.pem"),
            "-outform",
            "DER",
            "-out",
            &p("c.p7b"),
        ],
    );
    for file in ["default.p12", "legacy.p12", "c.p7b"] {
        Test::new()
            .file(file, fs::read(dir.path().join(file)).unwrap())
            .env("CCERT_PASSWORD", "pw")
            .args(["fingerprint", "-f", "openssl", "-d", "sha256", file])
            .stdout(want.clone())
            .run();
    }
    // The recorded odd fixtures, against this openssl.
    for file in [
        "ber-outer.der",
        "bad-date.der",
        "trailing-newline.der",
        "trailing-zeros.der",
    ] {
        let theirs = oracle::run_ok(
            &openssl,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                fixtures().join(file).to_str().unwrap(),
                "-noout",
                "-fingerprint",
                "-sha256",
            ],
        );
        Test::new()
            .fixture(file)
            .args(["fingerprint", "-f", "openssl", "-d", "sha256", file])
            .stdout(theirs)
            .run();
    }
}

#[test]
fn odd_names_warn_and_are_escaped() {
    Test::new()
        .fixture("bad-utf8.der")
        .args(["fingerprint", "bad-utf8.der"])
        .stderr(
            "ccert: warning: bad-utf8.der: its subject CN is not valid UTF-8 \
             (the bad bytes are shown as U+FFFD)\n",
        )
        .run();
    Test::new()
        .fixture("bad-utf8.der")
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "-d",
            "sha256",
            "bad-utf8.der",
        ])
        .status(1)
        .stderr(
            "ccert: error: bad-utf8.der: the subject CN is not valid UTF-8; give the entry a \
             name with --name\n",
        )
        .run();
    // A right-to-left override never reaches the terminal as is.
    let out = Test::new()
        .fixture("bidi.pem")
        .args(["fingerprint", "bidi.pem"])
        .stdout_contains("CN=evil\\E2\\80\\AEgpj.exe")
        .run();
    assert!(!out.stdout.contains('\u{202E}'));
    Test::new()
        .fixture("bidi.pem")
        .args(["fingerprint", "-f", "map", "bidi.pem"])
        .status(1)
        .stderr_contains("contains bidirectional-text controls")
        .run();
    // An invalid UTF8String is refused, as OpenSSL refuses it.
    let der = fs::read(fixtures().join("utf8.pem")).unwrap();
    let certs = parse_certificates(&der, Path::new("utf8.pem"), &NoPassword).unwrap();
    let mut broken = certs[0].der.clone();
    while let Some(at) = broken.windows(2).position(|w| w == b"\xc3\xbc") {
        broken[at..at + 2].copy_from_slice(b"\xff\xfe");
    }
    let err = parse_certificates(&broken, Path::new("x.der"), &NoPassword).unwrap_err();
    assert!(err.to_string().contains("malformed string"), "{err}");
}

/// `element` re-framed with indefinite lengths on its constructed parts,
/// `depth` levels down (what `fixtures/ber.py indefinite` does).
fn indefinite(element: &ccert::cert::der::Element<'_>, depth: usize) -> Vec<u8> {
    use ccert::cert::der;
    if !element.constructed() || depth == 0 {
        return element.raw.to_vec();
    }
    let mut out = vec![element.tag, 0x80];
    for child in der::children(element.content) {
        out.extend(indefinite(&child.unwrap(), depth - 1));
    }
    out.extend([0, 0]);
    out
}

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn indefinite_lengths_equal_live_openssl() {
    let Some(openssl) = oracle::require("openssl", "indefinite_lengths_equal_live_openssl") else {
        return;
    };
    let der = fs::read(fixtures().join("rsa.der")).unwrap();
    let element = ccert::cert::der::read(&der, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for depth in 1..=4 {
        let name = format!("indefinite-{depth}.der");
        let path = dir.path().join(&name);
        fs::write(&path, indefinite(&element, depth)).unwrap();
        let theirs = oracle::run_ok(
            &openssl,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                path.to_str().unwrap(),
                "-noout",
                "-fingerprint",
                "-sha256",
            ],
        );
        Test::new()
            .file(&name, fs::read(&path).unwrap())
            .args(["fingerprint", "-f", "openssl", "-d", "sha256", &name])
            .stdout(theirs)
            .run();
    }
}

//! The common errors, pinned to the exact line on standard error: the file,
//! what went wrong, what to do — each fact once, no OS error numbers, no
//! internal temp-file names.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::oracle;
use crate::test::Test;

#[test]
fn missing_certificate_file() {
    Test::new()
        .file("clientcerts", "")
        .args(["--map", "clientcerts", "add", "nosuch.pem"])
        .status(1)
        .stderr("ccert: error: nosuch.pem: cannot read: no such file or directory\n")
        .run();
}

#[test]
fn not_a_certificate() {
    Test::new()
        .fixture("key.pem")
        .file("clientcerts", "")
        .args(["--map", "clientcerts", "add", "key.pem"])
        .status(1)
        .stderr(
            "ccert: error: key.pem: no certificate found; expected a PEM or DER certificate, \
             a PKCS#7 bundle or a PKCS#12 file (the file holds only: PRIVATE KEY); a key is \
             not a certificate: give the certificate file\n",
        )
        .run();
}

#[test]
fn unknown_map_type_suggests_the_near_one() {
    Test::new()
        .file("clientcerts", "")
        .args(["compile", "hahs:clientcerts"])
        .status(1)
        .stderr("ccert: error: unknown map type 'hahs' (did you mean hash?)\n")
        .run();
    Test::new()
        .file("clientcerts", "")
        .args(["compile", "btree:clientcerts"])
        .status(1)
        .stderr(
            "ccert: error: btree:clientcerts: unsupported map type 'btree': ccert writes hash, \
             lmdb, cdb and sqlite; name the type with -t TYPE or TYPE:FILE\n",
        )
        .run();
}

#[test]
fn bad_digest_and_any_case() {
    Test::new()
        .fixture("rsa.pem")
        .args(["fingerprint", "--digest", "sha3", "rsa.pem"])
        .status(1)
        .stderr(
            "ccert: error: invalid value 'sha3' for '--digest <DIGEST>': use md5, sha1, sha224, \
             sha256, sha384, sha512 (did you mean sha384?)\n",
        )
        .run();
    Test::new()
        .fixture("rsa.pem")
        .args([
            "fingerprint",
            "--digest",
            "SHA256",
            "-f",
            "openssl",
            "rsa.pem",
        ])
        .stdout_contains("sha256 Fingerprint=1A:22:04:9F")
        .run();
}

#[test]
#[cfg_attr(ccert_missing = "util-linux", ignore = "needs util-linux")]
fn permission_denied_reading_and_writing() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(wrapper) = oracle::unprivileged() else {
        return;
    };
    let t = Test::new().fixture("rsa.pem").file("clientcerts", "");
    let dir = t.dir().to_path_buf();
    // Others may enter the scratch directory, not write in it.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join("rsa.pem"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(
        dir.join("postfix-config"),
        std::fs::Permissions::from_mode(0o755),
    )
    .ok();
    let t = t
        .wrapped(&wrapper)
        .args([
            "--map",
            "clientcerts",
            "add",
            "--no-compile",
            "-d",
            "sha256",
            "rsa.pem",
        ])
        .status(1)
        .stderr(
            "ccert: error: rsa.pem: cannot read: permission denied \
             (run as root or as the owner of the file)\n",
        )
        .run();
    std::fs::set_permissions(dir.join("rsa.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
    Test::new()
        .fixture("rsa.pem")
        .file("clientcerts", "")
        .wrapped(&wrapper)
        .args(["--map", &dir.join("clientcerts").display().to_string()])
        .args([
            "add",
            "--no-compile",
            "-d",
            "sha256",
            &dir.join("rsa.pem").display().to_string(),
        ])
        .status(1)
        // Nothing says "added" before the write that adds succeeded.
        .stdout("")
        // The certificate copy is written first (crash ordering), so it is what fails.
        .stderr(format!(
            "ccert: error: {}: keeping a copy of {} for rehash: permission denied \
             (run as root or as the owner of the file)\n",
            dir.join("clientcerts.d").display(),
            dir.join("rsa.pem").display()
        ))
        .run();
    drop(t);
}

/// A small tmpfs, unmounted on drop; `None` (with the reason printed) where
/// mounting is not allowed, unless CCERT_INTEROP=1.
struct Tmpfs {
    point: PathBuf,
    // Removed (after the unmount in Drop) when the Tmpfs goes.
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(test: &str) -> Option<Self> {
        oracle::require_root(test);
        let dir = tempfile::tempdir().unwrap();
        let point = dir.path().join("fs");
        std::fs::create_dir(&point).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs"])
            .arg(&point)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                !oracle::interop_required(),
                "{test}: CCERT_INTEROP=1 but mounting a tmpfs failed"
            );
            eprintln!("skipping {test}: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Self { point, _dir: dir })
    }

    fn path(&self) -> &Path {
        &self.point
    }

    fn remount_read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.point)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Fills the file system until it is full.
    fn fill(&self) {
        use std::io::Write as _;
        let mut f = std::fs::File::create(self.point.join("filler")).unwrap();
        let block = [0u8; 4096];
        while f.write_all(&block).is_ok() {}
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.point).status();
    }
}

#[test]
#[cfg_attr(ccert_missing = "root", ignore = "needs root")]
fn no_space_left() {
    let Some(fs) = Tmpfs::mount("no_space_left") else {
        return;
    };
    let source = fs.path().join("clientcerts");
    std::fs::write(&source, "").unwrap();
    fs.fill();
    Test::new()
        .fixture("rsa.pem")
        .args(["--map", &source.display().to_string()])
        .args(["add", "--no-compile", "-d", "sha256", "rsa.pem"])
        .status(1)
        .stdout("")
        .stderr(format!(
            "ccert: error: {}.d: keeping a copy of rsa.pem for rehash: no space left on device \
             (free some space and run again)\n",
            source.display()
        ))
        .run();
    assert_eq!(std::fs::read(&source).unwrap(), b"");
}

#[test]
#[cfg_attr(ccert_missing = "root", ignore = "needs root")]
fn read_only_file_system() {
    let Some(fs) = Tmpfs::mount("read_only_file_system") else {
        return;
    };
    let source = fs.path().join("clientcerts");
    std::fs::write(&source, "").unwrap();
    fs.remount_read_only();
    Test::new()
        .fixture("rsa.pem")
        .args(["--map", &source.display().to_string()])
        .args(["add", "--no-compile", "-d", "sha256", "rsa.pem"])
        .status(1)
        .stderr(format!(
            "ccert: error: {}.d: keeping a copy of rsa.pem for rehash: read-only file system \
             (remount it read-write or use a file elsewhere)\n",
            source.display()
        ))
        .run();
    // Without a certificate to keep, the source's own write is what fails.
    Test::new()
        .args(["--map", &source.display().to_string()])
        .args(["add", "--no-compile", "--name", "x", "--fingerprint"])
        .arg("1A:22:04:9F:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00")
        .status(1)
        .stdout("")
        .stderr(format!(
            "ccert: error: {}: cannot write: read-only file system \
             (remount it read-write or use a file elsewhere)\n",
            source.display()
        ))
        .run();
}

#[test]
fn add_with_another_digest_than_the_server_warns_or_refuses() {
    let main = "compatibility_level = 3.6\nsmtpd_tls_fingerprint_digest = sha256\n";
    let warning = "ccert: warning: the server compares sha256 fingerprints \
                   (smtpd_tls_fingerprint_digest), so a md5 entry can never match";
    Test::new()
        .fixture("rsa.pem")
        .file("postfix-config/main.cf", main)
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--no-compile",
            "-d",
            "md5",
            "rsa.pem",
        ])
        .stderr(format!("{warning}; adding it anyway (--strict refuses)\n"))
        .run();
    Test::new()
        .fixture("rsa.pem")
        .file("postfix-config/main.cf", main)
        .file("clientcerts", "")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--strict",
            "--no-compile",
            "-d",
            "MD5",
            "rsa.pem",
        ])
        .status(1)
        .stderr(format!(
            "ccert: error: {}; use --digest sha256\n",
            warning.strip_prefix("ccert: warning: ").unwrap()
        ))
        .run();
}

/// Runs `ccert ARGS` in this process (configuration directory `dir`, the
/// built-in defaults of Postfix 3.7) and returns the error it ends with.
fn failure(dir: &Path, args: &[&str]) -> anyhow::Error {
    use clap::FromArgMatches as _;
    let matches = ccert::cli::command()
        .try_get_matches_from(
            [
                "ccert",
                "-c",
                &dir.display().to_string(),
                "--postfix-version",
                "3.7",
            ]
            .iter()
            .copied()
            .chain(args.iter().copied()),
        )
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let cli = ccert::cli::Cli::from_arg_matches(&matches).unwrap();
    match ccert::cmd::run(&cli) {
        Ok(outcome) => panic!("{args:?} succeeded: {outcome:?}"),
        Err(e) => e,
    }
}

/// Every layer of `err`'s chain says only its own fact: its message does not
/// hold its cause's (an OS error's in either wording); and the one line
/// printed from the chain says no fact twice.
#[track_caller]
fn each_fact_once(what: &str, err: &anyhow::Error) -> String {
    let layers: Vec<&(dyn std::error::Error + 'static)> = err.chain().collect();
    for pair in layers.windows(2) {
        let (own, cause) = (pair[0].to_string(), pair[1]);
        let mut cause_texts = vec![cause.to_string()];
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            cause_texts.push(ccert::report::describe_io(io));
        }
        for text in cause_texts.iter().filter(|t| !t.is_empty()) {
            // A cause that is a bare name (a file) repeats only as a word of
            // its own: `cdb:/x was not compiled` names the table, `/x` the file.
            let repeats = if text.contains(char::is_whitespace) {
                own.contains(text.as_str())
            } else {
                own.split_whitespace().any(|w| {
                    w.trim_end_matches([':', ';', ',', ')'])
                        .trim_start_matches('(')
                        .trim_matches(['`', '"', '\''])
                        == text
                })
            };
            assert!(
                !repeats,
                "{what}: {own:?} repeats its cause {text:?} (chain: {layers:?})"
            );
        }
    }
    let line = ccert::report::one_line(err);
    if let Some(repeated) = crate::test::repeated_fact(&format!("ccert: error: {line}")) {
        panic!("{what}: {line:?} says {repeated:?} twice");
    }
    line
}

/// The chains of representative failures of each library error type that
/// has a cause (certificates, the source, tables, main.cf, a .cf file, a
/// desired-state file, a CRL) and of the command edge's contexts around them.
#[test]
fn error_chains_say_each_fact_once() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let at = |name: &str| dir.join(name).display().to_string();
    let fixtures = crate::test::fixtures();
    for name in ["truncated.der", "badbase64.pem", "rsa.pem"] {
        std::fs::copy(fixtures.join(name), dir.join(name)).unwrap();
    }
    std::fs::write(dir.join("clientcerts"), "").unwrap();
    std::fs::write(dir.join("a-file"), "").unwrap();
    std::fs::create_dir(dir.join("a-dir")).unwrap();
    let conf = dir.join("conf");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("main.cf"),
        "smtpd_tls_fingerprint_digest = ${unclosed\n",
    )
    .unwrap();
    let map = at("clientcerts");
    let fp = "1A:22:04:9F:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00";
    let cases: Vec<(&str, &Path, Vec<String>, &str)> = vec![
        (
            "a missing certificate",
            dir,
            vec!["--map".into(), map.clone(), "add".into(), at("nosuch.pem")],
            "nosuch.pem: cannot read: no such file or directory",
        ),
        (
            "a truncated DER certificate",
            dir,
            vec![
                "--map".into(),
                map.clone(),
                "add".into(),
                at("truncated.der"),
            ],
            "truncated.der: the file is damaged or cut short: truncated DER",
        ),
        (
            "broken base64",
            dir,
            vec![
                "--map".into(),
                map.clone(),
                "add".into(),
                at("badbase64.pem"),
            ],
            "badbase64.pem:3: the `CERTIFICATE` block is not valid base64",
        ),
        (
            "a source under a file",
            dir,
            vec![
                "--map".into(),
                at("a-file/clientcerts"),
                "add".into(),
                "--fingerprint".into(),
                fp.into(),
                "--name".into(),
                "x".into(),
                "--no-compile".into(),
            ],
            "a-file/clientcerts: cannot open: not a directory",
        ),
        (
            "a source that is a directory",
            dir,
            vec!["--map".into(), at("a-dir"), "list".into()],
            "a-dir: is a directory, not a regular file",
        ),
        (
            "a missing source",
            dir,
            vec![
                "--map".into(),
                at("nosuch"),
                "rehash".into(),
                "-d".into(),
                "sha256".into(),
            ],
            "nosuch: no such file",
        ),
        (
            "a table that was never built",
            dir,
            vec!["query".into(), "key".into(), format!("hash:{map}")],
            "clientcerts.db: no such file or directory",
        ),
        (
            "a source to compile that is missing",
            dir,
            vec!["compile".into(), format!("cdb:{}", at("nosuch"))],
            "was not compiled",
        ),
        (
            "a value Postfix cannot expand",
            &conf,
            vec!["fingerprint".into(), at("rsa.pem")],
            "main.cf:1: smtpd_tls_fingerprint_digest: Postfix cannot expand the value",
        ),
        (
            "a missing pgsql_table(5) file",
            dir,
            vec![
                "--map".into(),
                format!("pgsql:{}", at("nosuch.cf")),
                "list".into(),
            ],
            "nosuch.cf: cannot read the pgsql_table(5) file: no such file or directory",
        ),
        (
            "a missing certificate revocation list",
            dir,
            vec![
                "--map".into(),
                map.clone(),
                "revoke".into(),
                "--crl".into(),
                at("nosuch.crl"),
            ],
            "nosuch.crl: cannot read the CRL: no such file or directory",
        ),
        (
            "a missing desired-state file",
            dir,
            vec![
                "--map".into(),
                map.clone(),
                "apply".into(),
                at("nosuch.toml"),
            ],
            "nosuch.toml: cannot read: no such file or directory",
        ),
    ];
    for (what, config, args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let line = each_fact_once(what, &failure(config, &args));
        assert!(
            line.contains(expected),
            "{what}: {line:?} lacks {expected:?}"
        );
    }
}

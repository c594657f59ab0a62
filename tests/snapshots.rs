//! Every command's output on the fixtures, byte for byte: standard output,
//! standard error, exit status and the bytes of every table written.
//!
//! These snapshots pin behaviour across refactorings that must not change it
//! (issue 21: one table reference, one edit engine, one shape per backend).
//! The runs use built-in release defaults (`CCERT_POSTCONF=none`), so they do
//! not depend on the installed Postfix. Today's date and the scratch
//! directory are replaced by `$TODAY` and `$DIR`; tables appear as their
//! SHA-256 (the tables ccert writes are deterministic).
//!
//! Refresh them, after a change meant to alter output, with:
//! `CCERT_UPDATE_SNAPSHOTS=1 cargo test --test integration snapshots`

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::test::{Finished, Test, fixtures};

const REFRESH: &str =
    "refresh with: CCERT_UPDATE_SNAPSHOTS=1 cargo test --test integration snapshots";

/// One scenario: a sequence of runs in one scratch directory, recorded as text.
struct Script {
    name: &'static str,
    dir: Option<Finished>,
    record: String,
}

impl Script {
    /// A scenario whose scratch directory starts with these files.
    fn new(name: &'static str, files: &[(&str, &[u8])]) -> Self {
        let mut t = Test::new();
        for (path, bytes) in files {
            t = t.file(path, bytes);
        }
        // An empty run (`--version`) materialises the directory.
        let dir = t.arg("--version").run();
        Self {
            name,
            dir: Some(dir),
            record: String::new(),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.as_ref().unwrap().dir.path().to_path_buf()
    }

    /// Runs ccert with these arguments (and standard input) and records
    /// what it printed and how it exited.
    fn run_in(&mut self, args: &[&str], stdin: Option<&[u8]>) -> &mut Self {
        let mut t = self
            .dir
            .take()
            .unwrap()
            .then()
            .env("CCERT_POSTCONF", "none")
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .env("COLUMNS", "200")
            .args(args)
            .status_among(&[0, 1, 2, 3])
            .any_stderr();
        if let Some(input) = stdin {
            t = t.stdin(input);
        }
        let done = t.run();
        let dir = done.dir.path().to_string_lossy().into_owned();
        let clean = |s: &str| scrub(s, &dir);
        self.record
            .push_str(&clean(&format!("$ ccert {}\n", args.join(" "))));
        self.record.push_str(&clean(&done.stdout));
        if !done.stderr.is_empty() {
            self.record.push_str("--- stderr\n");
            self.record.push_str(&clean(&done.stderr));
        }
        if done.status != 0 {
            self.record.push_str(&format!("--- exit {}\n", done.status));
        }
        self.record.push('\n');
        self.dir = Some(done);
        self
    }

    fn run(&mut self, args: &[&str]) -> &mut Self {
        self.run_in(args, None)
    }

    /// Records every file under the scratch directory except the
    /// configuration: text files as text, tables as their SHA-256.
    fn files(&mut self) -> &mut Self {
        let root = self.root();
        let mut paths = Vec::new();
        walk(&root, &mut paths);
        paths.sort();
        self.record.push_str("# files\n");
        let dir = root.to_string_lossy().into_owned();
        for path in paths {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let config = ["main.cf", "master.cf", "mx.pem"].map(|f| format!("postfix-config/{f}"));
            if config.contains(&rel) || rel.starts_with("fixture/") || rel.contains(".ccert-") {
                continue;
            }
            let bytes = fs::read(&path).unwrap();
            let text = std::str::from_utf8(&bytes).ok().filter(|t| {
                !t.contains('\0') && !rel.ends_with(".sqlite") && !rel.ends_with(".cdb")
            });
            match text {
                Some(text) => {
                    self.record.push_str(&format!("## {rel}\n"));
                    self.record.push_str(&scrub(text, &dir));
                }
                None => {
                    let mut bytes = bytes;
                    if rel.ends_with(".db") && bytes.len() >= 72 {
                        // The Berkeley DB file id (meta page bytes 52..72) is
                        // made from the inode and time, as Berkeley DB does.
                        bytes[52..72].fill(0);
                    }
                    let sum = Sha256::digest(&bytes);
                    let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
                    self.record
                        .push_str(&format!("## {rel}: {} bytes, sha256 {hex}\n", bytes.len()));
                }
            }
        }
        self.record.push('\n');
        self
    }

    /// Compares the record with the committed snapshot (or writes it).
    fn check(&mut self) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(format!("{}.txt", self.name));
        if std::env::var("CCERT_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &self.record).unwrap();
            return;
        }
        let committed = fs::read_to_string(&path).unwrap_or_default();
        if committed != self.record {
            let first = committed
                .lines()
                .zip(self.record.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(self.record.lines().count()));
            let show = |s: &str| {
                s.lines()
                    .skip(first.saturating_sub(3))
                    .take(8)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            panic!(
                "{} differs from line {}:\n--- committed\n{}\n--- now\n{}\n{REFRESH}",
                path.display(),
                first + 1,
                show(&committed),
                show(&self.record)
            );
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Replaces what differs from run to run: the scratch directory, the
/// repository's fixtures directory, today's
/// date and the days left until the fixtures expire.
fn scrub(text: &str, dir: &str) -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let mut out = text
        .replace(dir, "$DIR")
        // The checkout's own path differs between clones and worktrees.
        .replace(&fixtures().display().to_string(), "$FIXTURES")
        .replace(&today.format(&fmt).unwrap(), "$TODAY");
    // Backups are named after the time they were made.
    while let Some(at) = out.find(".ccert-1") {
        let end = out[at + 7..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(out.len(), |n| at + 7 + n);
        out.replace_range(at + 7..end, "$STAMP");
    }
    // "in 36123 days" style counts move every day: the fixtures expire in 2124/2125.
    for (days_from, days_to) in [(35000, 37000)] {
        for d in (days_from..days_to).rev() {
            let s = d.to_string();
            if out.contains(&s) {
                out = out.replace(&s, "$DAYS");
            }
        }
    }
    out
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(fixtures().join(name)).unwrap()
}

const MAIN_36: &str = "compatibility_level = 3.6\nmyhostname = mx.example.net\n\
smtpd_tls_chain_files = $config_directory/mx.pem\nsmtpd_tls_security_level = may\n\
relay_clientcerts = hash:$config_directory/clientcerts\n";

const MASTER: &str = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
pickup    unix  n       -       y       60      1       pickup
";

#[test]
fn snapshots_fingerprint() {
    let certs = [
        "rsa.pem",
        "ecdsa.pem",
        "ed25519.pem",
        "rsa.der",
        "bundle.pem",
        "bundle.p7b",
        "bundle-ber.p7b",
        "bundle.p7c",
        "crlf.pem",
        "expired.pem",
        "nocn.pem",
        "utf8.pem",
        "bidi.pem",
        "text.pem",
        "key-and-cert.pem",
        "trusted.pem",
        "ber-outer.der",
        "trailing-newline.der",
        "nopass.p12",
    ];
    let bad = [
        "empty.pem",
        "truncated.pem",
        "truncated.der",
        "badbase64.pem",
        "random.bin",
        "csr.pem",
        "key.pem",
        "bad-date.der",
        "bad-utf8.der",
        "trailing-zeros.der",
    ];
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for name in certs.iter().chain(bad.iter()) {
        files.push((format!("fixture/{name}"), fixture(name)));
    }
    files.push(("pw".into(), b"secret\n".to_vec()));
    let borrowed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let mut s = Script::new("fingerprint", &borrowed);
    for name in certs {
        let path = format!("fixture/{name}");
        s.run(&["--postfix-version", "3.7", "fingerprint", &path]);
    }
    for format in ["text", "openssl", "map", "json"] {
        s.run(&[
            "--postfix-version",
            "3.7",
            "fingerprint",
            "-f",
            format,
            "fixture/rsa.pem",
            "fixture/bundle.pem",
        ]);
    }
    for digest in ["md5", "sha1", "sha224", "sha384", "sha512"] {
        s.run(&[
            "--postfix-version",
            "3.7",
            "fingerprint",
            "-d",
            digest,
            "fixture/ecdsa.pem",
        ]);
    }
    s.run(&[
        "--postfix-version",
        "3.7",
        "fingerprint",
        "-p",
        "fixture/rsa.pem",
        "fixture/ed25519.pem",
    ]);
    s.run(&["--postfix-version", "3.5", "fingerprint", "fixture/rsa.pem"]);
    for p12 in [
        "aes.p12",
        "legacy.p12",
        "3des.pfx",
        "nomac.p12",
        "nomac-aes.p12",
    ] {
        let path = fixtures().join(p12);
        let path = path.to_str().unwrap();
        s.run(&[
            "--postfix-version",
            "3.7",
            "fingerprint",
            "--pkcs12-password-file",
            "pw",
            path,
        ]);
    }
    for name in bad {
        let path = format!("fixture/{name}");
        s.run(&["--postfix-version", "3.7", "fingerprint", &path]);
    }
    s.run(&["--postfix-version", "3.7", "fingerprint", "missing.pem"]);
    s.run_in(
        &["--postfix-version", "3.7", "fingerprint", "-"],
        Some(&fixture("rsa.pem")),
    );
    s.check();
}

/// The edit and table lifecycle for one table type: add, list, compile,
/// query, dump, remove, rehash, doctor, server-config, client-config.
fn lifecycle(name: &'static str, version: &str, build: &str, main: &str) {
    let mut s = Script::new(
        name,
        &[
            ("postfix-config/main.cf", main.as_bytes()),
            ("postfix-config/master.cf", MASTER.as_bytes()),
            (
                "postfix-config/mx.pem",
                b"server key and chain would be here\n",
            ),
            ("postfix-config/clientcerts", b"# relay clients\n"),
            ("fixture/rsa.pem", &fixture("rsa.pem")),
            ("fixture/ecdsa.pem", &fixture("ecdsa.pem")),
            ("fixture/ed25519.pem", &fixture("ed25519.pem")),
            ("fixture/bundle.pem", &fixture("bundle.pem")),
            ("fixture/expired.pem", &fixture("expired.pem")),
            ("fixture/key.pem", &fixture("key.pem")),
        ],
    );
    let v = ["--postfix-version", version, "--postfix-build", build];
    let run = |s: &mut Script, args: &[&str]| {
        let all: Vec<&str> = v.iter().copied().chain(args.iter().copied()).collect();
        s.run(&all);
    };
    run(&mut s, &["add", "fixture/rsa.pem", "--name", "rsa-host"]);
    run(&mut s, &["add", "fixture/ecdsa.pem"]);
    run(&mut s, &["add", "fixture/ecdsa.pem"]);
    run(&mut s, &["add", "fixture/ecdsa.pem", "--name", "other"]);
    run(
        &mut s,
        &["add", "fixture/ecdsa.pem", "--name", "other", "--replace"],
    );
    run(
        &mut s,
        &["add", "-p", "fixture/ed25519.pem", "--name", "pk-host"],
    );
    run(&mut s, &["add", "fixture/bundle.pem"]);
    run(&mut s, &["add", "fixture/expired.pem", "--name", "old"]);
    run(&mut s, &["add", "fixture/key.pem", "--name", "nokey"]);
    run(
        &mut s,
        &[
            "add",
            "--fingerprint",
            "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
            "--name",
            "by-fp",
        ],
    );
    run(&mut s, &["add", "--fingerprint", "zz", "--name", "bad-fp"]);
    s.files();
    for format in ["table", "json", "plain"] {
        run(&mut s, &["list", "-f", format]);
    }
    run(&mut s, &["list", "--expiring", "30"]);
    for ty in ["hash", "lmdb", "cdb", "sqlite"] {
        let table = format!("{ty}:postfix-config/clientcerts");
        run(&mut s, &["compile", &table]);
        run(
            &mut s,
            &[
                "query",
                "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89",
                &table,
            ],
        );
        run(&mut s, &["query", "00:11", &table]);
        run(&mut s, &["dump", &table]);
    }
    run(&mut s, &["compile", "postfix-config/clientcerts"]);
    run(
        &mut s,
        &["compile", "-t", "lmdb", "postfix-config/clientcerts"],
    );
    run(&mut s, &["dump", "postfix-config/clientcerts"]);
    s.files();
    run(&mut s, &["doctor"]);
    run(&mut s, &["doctor", "-f", "json"]);
    run(&mut s, &["doctor", "--strict"]);
    run(&mut s, &["server-config"]);
    run(
        &mut s,
        &[
            "client-config",
            "--relay",
            "mx.example.net",
            "--cert",
            "c.pem",
            "--key",
            "k.pem",
            "--postfix",
        ],
    );
    run(
        &mut s,
        &[
            "client-config",
            "--relay",
            "mx.example.net:587",
            "--cert",
            "c.pem",
            "--key",
            "k.pem",
            "--ssmtp",
        ],
    );
    run(&mut s, &["remove", "--name", "other", "--yes"]);
    run(&mut s, &["remove", "--name", "nobody", "--yes"]);
    run(&mut s, &["rehash", "-d", "sha512"]);
    run(&mut s, &["rehash", "-p"]);
    run(&mut s, &["list", "-f", "plain"]);
    run(&mut s, &["migrate", "--to", "lmdb"]);
    run(&mut s, &["migrate", "--to", "cdb", "--apply"]);
    run(&mut s, &["doctor"]);
    s.files();
    s.check();
}

#[test]
fn snapshots_lifecycle_hash_37() {
    lifecycle("lifecycle-hash-3.7", "3.7", "debian", MAIN_36);
}

#[test]
fn snapshots_lifecycle_default_311() {
    let main = MAIN_36.replace("hash:", "");
    lifecycle("lifecycle-default-3.11", "3.11", "debian", &main);
}

#[test]
fn snapshots_lifecycle_lmdb_nobdb() {
    let main = MAIN_36.replace("hash:", "lmdb:").replace("3.6", "3.10");
    lifecycle("lifecycle-lmdb-no-bdb", "3.10", "no-bdb", &main);
}

#[test]
fn snapshots_lifecycle_proxy_group_35() {
    let main = MAIN_36
        .replace("3.6", "2")
        .replace(
            "relay_clientcerts = hash:$config_directory/clientcerts",
            "relay_clientcerts = proxy:cdb:$config_directory/clientcerts\n\
             smtpd_recipient_restrictions = check_ccert_access { proxy:btree:$config_directory/access, cdb:$config_directory/more }",
        );
    lifecycle("lifecycle-proxy-3.5", "3.5", "upstream", &main);
}

#[test]
fn snapshots_postfix_fixtures() {
    for conf in ["debian12", "expressions", "legacy-md5", "submission-certs"] {
        let dir = fixtures().join("postfix").join(conf);
        let main = fs::read(dir.join("main.cf")).unwrap();
        let master = fs::read(dir.join("master.cf")).unwrap();
        let name: &'static str = Box::leak(format!("postfix-{conf}").into_boxed_str());
        let mut s = Script::new(
            name,
            &[
                ("postfix-config/main.cf", &main),
                ("postfix-config/master.cf", &master),
                ("postfix-config/clientcerts", b"ab:cd host\n"),
            ],
        );
        for version in ["3.5", "3.7", "3.11"] {
            s.run(&["--postfix-version", version, "doctor", "-f", "json"]);
            s.run(&["--postfix-version", version, "server-config"]);
            s.run(&["--postfix-version", version, "migrate", "--to", "cdb"]);
            s.run(&["--postfix-version", version, "list", "-f", "plain"]);
        }
        s.check();
    }
}

#[test]
fn snapshots_log() {
    let fp = "1A:22:04:9F:49:0D:8C:EB:78:BC:DC:AA:A8:F4:60:5E:16:B7:B2:CE:BD:DE:00:26:BC:EE:AC:DA:FD:98:DC:34";
    let pk = "3D:BE:8E:90:8F:DB:31:4D:37:E6:30:B0:EC:E3:05:5B:E5:1E:37:B6:86:84:4B:FE:F2:1B:A5:E5:72:36:A8:00";
    let log = format!(
        "Nov 20 10:00:00 mx postfix/submission/smtpd[7]: laptop[192.0.2.1]: subject_CN=laptop, issuer=Example CA, fingerprint={fp}, pkey_fingerprint={pk}\n\
         Nov 20 10:00:01 mx postfix/submission/smtpd[7]: NOQUEUE: reject: RCPT from laptop[192.0.2.1]: 554 5.7.1 <a@b.example>: Relay access denied; from=<x@y> to=<a@b.example> proto=ESMTP helo=<laptop>\n\
         2026-01-02T03:04:05.000000+00:00 mx postfix/submission/smtpd[11]: rpk[2001:db8::7]:2525: raw public key fingerprint={pk}\n"
    );
    let main = "compatibility_level = 3.6\nmaillog_file = $config_directory/../log/mail.log\n";
    let mut s = Script::new(
        "log",
        &[
            ("postfix-config/main.cf", main.as_bytes()),
            (
                "postfix-config/master.cf",
                b"submission inet n - y - - smtpd\n  -o syslog_name=postfix/submission\n",
            ),
            ("postfix-config/clientcerts", b""),
            ("log/mail.log", log.as_bytes()),
        ],
    );
    s.run(&["--postfix-version", "3.10", "log", "--all"]);
    s.run(&["--postfix-version", "3.10", "log", "-f", "json", "--all"]);
    s.run(&[
        "--postfix-version",
        "3.10",
        "log",
        "--approve",
        "--no-compile",
    ]);
    s.run(&["--postfix-version", "3.10", "log", "--all"]);
    s.files();
    s.check();
}

#[test]
fn snapshots_fleet_without_database() {
    let mut s = Script::new(
        "fleet-offline",
        &[
            ("postfix-config/main.cf", b"compatibility_level = 3.6\n"),
            ("postfix-config/clientcerts", b"ab:cd host\n"),
            ("bad.cf", b"hosts = \nnonsense\n"),
        ],
    );
    s.run(&[
        "--postfix-version",
        "3.7",
        "db",
        "init",
        "--map",
        "pgsql:missing.cf",
    ]);
    s.run(&[
        "--postfix-version",
        "3.7",
        "import",
        "--map",
        "pgsql:bad.cf",
        "postfix-config/clientcerts",
    ]);
    s.run(&[
        "--postfix-version",
        "3.7",
        "sync",
        "--from",
        "pgsql:missing.cf",
        "--to",
        "cdb:out",
    ]);
    s.run(&[
        "--postfix-version",
        "3.7",
        "sync",
        "--from",
        "hash:x",
        "--to",
        "cdb:out",
    ]);
    s.run(&["--postfix-version", "3.7", "list", "--map", "pgsql:bad.cf"]);
    s.check();
}

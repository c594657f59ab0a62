//! Issue 17 (the part of helper "hostile"): admin-given paths read within
//! a bound, certificates with huge names, PKCS#12 work budgets, `list` on
//! long entries, `log --since` values, `migrate` interrupted, and damaged
//! certificates judged as OpenSSL judges them.
//!
//! Every run goes through [`guarded`] (a memory limit and a hang guard), so
//! a FIFO that blocks or a device that never ends fails the test instead
//! of hanging it, and exit 1 with one `ccert: error:` line proves no panic.

use std::fs;
use std::path::Path;

use crate::hardening::{fixture, guarded, scratch};

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// A guarded run that fails with exactly one `ccert: error:` line
/// containing every one of `wanted`.
fn one_error(dir: &Path, args: &[&str], wanted: &[&str]) -> String {
    let run = guarded(dir)
        .args(args)
        .note(format!("{args:?}"))
        .status(1)
        .any_stderr()
        .run();
    let err = run.stderr;
    assert!(
        err.starts_with("ccert: error: ") && err.trim_end().lines().count() == 1,
        "{args:?}: not one error line: {err}"
    );
    for w in wanted {
        assert!(err.contains(w), "{args:?}: {w:?} missing in: {err}");
    }
    err
}

/// Issue 17 item 9: every path an admin names (certificates, password
/// files, keys, import sources, a pgsql_table(5) file, its sslrootcert=,
/// main.cf) is refused by name when it is a FIFO or a device, and bounded
/// in size, before anything waits on it or reads it whole.
#[test]
fn admin_paths_refuse_fifos_and_devices_and_are_bounded() {
    let scratch = scratch();
    let dir = scratch.path();
    mkfifo(&dir.join("fifo"));
    let cert = fixture("rsa.pem");
    let cert = cert.to_str().unwrap();
    let p12 = fixture("aes.p12");
    let p12 = p12.to_str().unwrap();
    // A pgsql_table(5) file that parses; nothing listens on port 1.
    fs::write(
        dir.join("ok.cf"),
        "hosts = 127.0.0.1:1\nuser = u\npassword = p\ndbname = mail\nquery = SELECT 1\n",
    )
    .unwrap();
    // A sparse file one byte over each bound: refused without being read.
    let big = |name: &str, len: u64| {
        let f = fs::File::create(dir.join(name)).unwrap();
        f.set_len(len).unwrap();
        name.to_string()
    };
    let big_key = big("big.key", (1 << 20) + 1);
    let big_pw = big("big.pw", (64 << 10) + 1);
    for bad in ["fifo", "/dev/zero"] {
        let kind = if bad == "fifo" {
            "is a FIFO, not a regular file"
        } else {
            "is a character device, not a regular file"
        };
        let root_cf = format!(
            "hosts = postgresql://127.0.0.1:1/mail?sslmode=verify-full&sslrootcert={}\n\
             user = u\npassword = p\ndbname = mail\nquery = SELECT 1\n",
            if bad == "fifo" {
                dir.join("fifo").display().to_string()
            } else {
                bad.to_string()
            }
        );
        fs::write(dir.join("root.cf"), root_cf).unwrap();
        let pgsql = format!("pgsql:{bad}");
        for args in [
            vec!["fingerprint", bad],
            vec!["add", bad, "--name", "x"],
            vec!["fingerprint", "--pkcs12-password-file", bad, p12],
            vec!["--map", &pgsql, "list"],
            vec!["--map", "pgsql:root.cf", "list"],
            vec!["--map", "pgsql:ok.cf", "import", bad],
            vec!["probe", "127.0.0.1:1", "--cert", cert, "--key", bad],
            vec![
                "client-config",
                "--cert",
                cert,
                "--key",
                bad,
                "--relay",
                "x",
            ],
            vec![
                "db",
                "init",
                "pgsql:new.cf",
                "--hosts",
                "127.0.0.1:1",
                "--dbname",
                "m",
                "--user",
                "u",
                "--password-file",
                bad,
            ],
            vec!["--map", bad, "list"],
        ] {
            one_error(dir, &args, &[bad, kind]);
        }
    }
    one_error(
        dir,
        &["probe", "127.0.0.1:1", "--cert", cert, "--key", &big_key],
        &["big.key", "is larger than 1 MiB"],
    );
    one_error(
        dir,
        &["fingerprint", "--pkcs12-password-file", &big_pw, p12],
        &["big.pw", "is larger than 64 KiB"],
    );
    // main.cf itself a FIFO: one error naming it, no hang.
    let conf = dir.join("fifo-conf");
    fs::create_dir(&conf).unwrap();
    mkfifo(&conf.join("main.cf"));
    one_error(
        dir,
        &["-c", conf.to_str().unwrap(), "list"],
        &["main.cf", "is a FIFO, not a regular file"],
    );
    assert!(!dir.join("new.cf").exists(), "db init wrote its .cf");
    // Tables read by query and dump: a FIFO in a table's place.
    for (ty, file) in [("hash", "t.db"), ("lmdb", "t.lmdb"), ("cdb", "t.cdb")] {
        mkfifo(&dir.join(file));
        let spec = format!("{ty}:t");
        for args in [vec!["query", "x", &spec], vec!["dump", &spec]] {
            one_error(dir, &args, &[file, "is a FIFO, not a regular file"]);
        }
    }
}

/// Issue 17 item 6: `list` lays out a 1 MiB entry (and a 200,000-byte
/// key) in bounded time and memory: each long cell is cut to a few
/// lines that say how much was left out, every line fits the width, and
/// `--format plain` still prints everything. (Time and memory are
/// measured in benches/README.md, not asserted here.)
#[test]
fn list_cuts_long_cells_and_keeps_the_width() {
    let scratch = scratch();
    let dir = scratch.path();
    let fp = "1A:22:04:9F:49:0D:8C:EB:78:BC:DC:AA:A8:F4:60:5E:\
              16:B7:B2:CE:BD:DE:00:26:BC:EE:AC:DA:FD:98:DC:34";
    let name = "n".repeat((1 << 20) - fp.len() - 10);
    let key = "K".repeat(200_000);
    fs::write(
        dir.join("long"),
        format!("{fp} {name}\n{key} v\n{fp} short\n"),
    )
    .unwrap();
    let run = guarded(dir)
        .args(["--map", "long", "list"])
        .env("COLUMNS", "100")
        .status(0)
        .any_stderr()
        .run();
    let out = &run.stdout;
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "line wider than 100: {line:?}");
    }
    assert!(
        out.lines().count() < 60,
        "{} lines:\n{out}",
        out.lines().count()
    );
    let left_out = (1 << 20) - fp.len() - 10 - 256;
    assert!(
        out.replace('\n', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&format!("(+{left_out} bytes; --format plain shows all)")),
        "{out}"
    );
    assert!(out.contains("(+199744"), "{out}");
    assert!(out.contains("short"), "{out}");
    let plain = guarded(dir)
        .args(["--map", "long", "list", "--format", "plain"])
        .status(0)
        .run();
    assert!(plain.stdout.contains(&name) && plain.stdout.contains(&key));
}

/// A DER element at the start of `data`: (tag, header length, content length).
pub fn der_header(data: &[u8]) -> (u8, usize, usize) {
    let first = data[1];
    if first < 0x80 {
        return (data[0], 2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = data[2..2 + n]
        .iter()
        .fold(0usize, |l, b| (l << 8) | usize::from(*b));
    (data[0], 2 + n, len)
}

/// The DER encoding of a `tag` element holding `content`.
pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The children of a constructed element's contents, as whole encodings.
pub fn der_children(mut content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (_, h, l) = der_header(content);
        out.push(&content[..h + l]);
        content = &content[h + l..];
    }
    out
}

/// `cert` (DER) with its subject replaced by `subject` (a DER Name); the
/// signature no longer verifies, which fingerprints do not care about.
fn with_subject(cert: &[u8], subject: &[u8]) -> Vec<u8> {
    let (_, h, l) = der_header(cert);
    let parts = der_children(&cert[h..h + l]);
    let (_, th, tl) = der_header(parts[0]);
    let mut fields = der_children(&parts[0][th..th + tl]);
    // [version] serial signature issuer validity subject …
    let at = if fields[0][0] == 0xa0 { 5 } else { 4 };
    fields[at] = subject;
    let tbs = der(0x30, &fields.concat());
    der(0x30, &[tbs.as_slice(), parts[1], parts[2]].concat())
}

/// A Name of one RDN per `(oid, UTF8String value)`.
fn name(attributes: &[(&[u8], &str)]) -> Vec<u8> {
    let rdns: Vec<u8> = attributes
        .iter()
        .flat_map(|(oid, value)| {
            let atv = der(
                0x30,
                &[der(0x06, oid), der(0x0c, value.as_bytes())].concat(),
            );
            der(0x31, &atv)
        })
        .collect();
    der(0x30, &rdns)
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];

/// Issue 17 item 4: a certificate with a 1.2 MB subject. Its CN cannot
/// be the entry's name (one error, nothing written); with a short CN the
/// comment ccert writes keeps the subject's start and says it was cut, so
/// the source stays readable: list, compile and a later add all work.
#[test]
fn huge_subjects_never_make_an_unreadable_source() {
    let scratch = scratch();
    let dir = scratch.path();
    let rsa = fs::read(fixture("rsa.der")).unwrap();
    let huge = "x".repeat(1_200_000);
    fs::write(
        dir.join("huge-cn.der"),
        with_subject(&rsa, &name(&[(OID_CN, &huge)])),
    )
    .unwrap();
    fs::write(
        dir.join("huge-o.der"),
        with_subject(&rsa, &name(&[(OID_O, &huge), (OID_CN, "host.example")])),
    )
    .unwrap();
    fs::write(dir.join("clientcerts"), "# the admin's list\n").unwrap();
    let before = fs::read(dir.join("clientcerts")).unwrap();
    one_error(
        dir,
        &["--map", "clientcerts", "add", "huge-cn.der", "--no-compile"],
        &["huge-cn.der", "longer than 4096 bytes", "--name"],
    );
    assert_eq!(fs::read(dir.join("clientcerts")).unwrap(), before);
    // An explicit name, and a short CN beside a huge O: both added, each
    // comment cut, every line short.
    guarded(dir)
        .args(["--map", "clientcerts", "add", "huge-cn.der", "--no-compile"])
        .args(["--name", "by-hand"])
        .status(0)
        .any_stderr()
        .run();
    guarded(dir)
        .args(["--map", "clientcerts", "add", "huge-o.der", "--no-compile"])
        .status(0)
        .any_stderr()
        .run();
    let text = String::from_utf8(fs::read(dir.join("clientcerts")).unwrap()).unwrap();
    let longest = text.lines().map(str::len).max().unwrap();
    assert!(longest < 4096, "a line of {longest} bytes");
    assert_eq!(text.matches("…(cut)").count(), 2, "{text}");
    assert!(text.contains(" by-hand\n"), "{text}");
    assert!(text.contains(" host.example\n"), "{text}");
    guarded(dir)
        .args(["--map", "clientcerts", "list"])
        .env("COLUMNS", "120")
        .status(0)
        .stdout_contains("host.example")
        .any_stderr()
        .run();
    guarded(dir)
        .args(["compile", "cdb:clientcerts"])
        .status(0)
        .any_stderr()
        .run();
    let ecdsa = fixture("ecdsa.pem");
    guarded(dir)
        .args(["--map", "clientcerts", "add", ecdsa.to_str().unwrap()])
        .args(["--name", "next", "--no-compile"])
        .status(0)
        .any_stderr()
        .run();
}

/// One damaged copy of a certificate: how it was made, and its bytes.
struct Variant {
    label: String,
    der: Vec<u8>,
}

/// Every element of `cert` inside the TBSCertificate and the outer
/// signature algorithm, as (offset, header length, content length,
/// constructed), depth first.
fn elements_of(cert: &[u8]) -> Vec<(usize, usize, usize, bool)> {
    fn walk(data: &[u8], at: usize, out: &mut Vec<(usize, usize, usize, bool)>) {
        let mut p = 0;
        while p < data.len() {
            let (tag, h, l) = der_header(&data[p..]);
            out.push((at + p, h, l, tag & 0x20 != 0));
            // Walk constructed values (an extension value is an OCTET STRING: its bytes are damaged, not walked).
            if tag & 0x20 != 0 {
                walk(&data[p + h..p + h + l], at + p + h, out);
            }
            p += h + l;
        }
    }
    let (_, h, l) = der_header(cert);
    let parts = der_children(&cert[h..h + l]);
    let mut out = Vec::new();
    walk(&cert[h..h + parts[0].len() + parts[1].len()], h, &mut out);
    out
}

/// `cert` with the element at `at` (header `h`, content `l`) replaced by
/// `new` (a whole encoding), every enclosing length fixed.
fn replaced(cert: &[u8], target: usize, new: &[u8]) -> Vec<u8> {
    fn rebuild(data: &[u8], at: usize, target: usize, new: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut p = 0;
        while p < data.len() {
            let (tag, h, l) = der_header(&data[p..]);
            let start = at + p;
            let end = start + h + l;
            if start == target {
                out.extend_from_slice(new);
            } else if tag & 0x20 != 0 && start < target && target < end {
                let inner = rebuild(&data[p + h..p + h + l], start + h, target, new);
                out.extend(der(tag, &inner));
            } else {
                out.extend_from_slice(&data[p..p + h + l]);
            }
            p += h + l;
        }
        out
    }
    rebuild(cert, 0, target, new)
}

/// Damaged copies of `cert`, deterministic: at every element of the
/// TBSCertificate and the signature algorithm, its tag, first length byte
/// and first and last content bytes changed four ways (bit 0 and bit 7
/// flipped, set to 00 and to FF; lengths unfixed, as a byte changed in a
/// file), and the element cut (the last content byte, or the last child,
/// removed, enclosing lengths fixed).
fn damaged(cert: &[u8]) -> Vec<Variant> {
    let mut out = Vec::new();
    for (at, h, l, constructed) in elements_of(cert) {
        let mut spots = vec![("tag", at), ("len", at + 1)];
        if l > 0 {
            spots.push(("first", at + h));
            spots.push(("last", at + h + l - 1));
        }
        for (what, pos) in spots {
            for (how, f) in [
                ("^01", (|b| b ^ 0x01) as fn(u8) -> u8),
                ("^80", |b| b ^ 0x80),
                ("=00", |_| 0x00),
                ("=ff", |_| 0xff),
            ] {
                let mut v = cert.to_vec();
                v[pos] = f(v[pos]);
                if v != cert {
                    out.push(Variant {
                        label: format!("{what} of the element at {at}: byte {pos} {how}"),
                        der: v,
                    });
                }
            }
        }
        let element = &cert[at..at + h + l];
        let cut = if constructed {
            let kids = der_children(&element[h..]);
            kids.split_last()
                .map(|(_, rest)| der(element[0], &rest.concat()))
        } else {
            (l > 0).then(|| der(element[0], &element[h..h + l - 1]))
        };
        if let Some(cut) = cut {
            out.push(Variant {
                label: format!("element at {at} cut short"),
                der: replaced(cert, at, &cut),
            });
        }
    }
    out
}

/// Issue 17 item 12, a differential test: damaged copies of real
/// certificates (a byte changed, or an element cut, in the version, the
/// serial, the algorithms, the names, the validity, the public key and the
/// extensions) are refused by ccert exactly when `openssl x509` refuses
/// them. The variants are generated deterministically; a plain `cargo
/// test` checks a seeded sample, `CCERT_INTEROP=1` every one.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn damaged_certificates_are_refused_exactly_when_openssl_refuses_them() {
    let Some(openssl) = crate::oracle::require("openssl", "damaged certificates") else {
        return;
    };
    let scratch = scratch();
    let dir = scratch.path();
    let mut variants = Vec::new();
    for name in [
        "rsa.pem",
        "ca.pem",
        "ecdsa.pem",
        "ed25519.pem",
        "utf8.pem",
        "nocn.pem",
        "expired.pem",
    ] {
        let path = fixture(name);
        let out = crate::oracle::run(
            &openssl,
            &["x509", "-in", path.to_str().unwrap(), "-outform", "DER"],
        );
        assert!(out.status.success(), "{name}");
        for v in damaged(&out.stdout) {
            variants.push(Variant {
                label: format!("{name}: {}", v.label),
                der: v.der,
            });
        }
    }
    // A seeded sample (a fixed LCG): the same variants on every run.
    let keep = crate::oracle::size(variants.len(), 150);
    let mut seed: u64 = 17;
    while variants.len() > keep {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let i = (seed >> 33) as usize % variants.len();
        variants.swap_remove(i);
    }
    let files: Vec<String> = (0..variants.len())
        .map(|i| format!("v{i:05}.der"))
        .collect();
    for (f, v) in files.iter().zip(&variants) {
        fs::write(dir.join(f), &v.der).unwrap();
    }
    // openssl, a few at a time (one process per file).
    let accepted_by_openssl: Vec<bool> = std::thread::scope(|s| {
        let chunks: Vec<_> = files
            .chunks(files.len().div_ceil(4).max(1))
            .map(|chunk| {
                let openssl = &openssl;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|f| {
                            let p = dir.join(f);
                            let args = [
                                "x509",
                                "-inform",
                                "DER",
                                "-noout",
                                "-in",
                                p.to_str().unwrap(),
                            ];
                            crate::oracle::run(openssl, &args).status.success()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        chunks.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    // ccert, once for all files: each refusal is one error line naming its file.
    let run = guarded(dir)
        .arg("fingerprint")
        .args(&files)
        .status_among(&[0, 1])
        .any_stderr()
        .stderr_lacks("panicked")
        .run();
    let mut refused = std::collections::HashMap::new();
    for line in run.stderr.lines() {
        if let Some(rest) = line.strip_prefix("ccert: error: ")
            && let Some((file, _)) = rest.split_once(':')
        {
            refused.insert(file.to_string(), line.to_string());
        }
    }
    let mut disagree = Vec::new();
    for ((f, v), openssl_ok) in files.iter().zip(&variants).zip(&accepted_by_openssl) {
        let ccert_ok = !refused.contains_key(f);
        if ccert_ok != *openssl_ok {
            disagree.push(format!(
                "{} ({f}): openssl {}, ccert {}",
                v.label,
                if *openssl_ok { "accepts" } else { "refuses" },
                refused.get(f).map_or("accepts", String::as_str)
            ));
        }
    }
    let refused_count = accepted_by_openssl.iter().filter(|ok| !**ok).count();
    assert!(
        disagree.is_empty(),
        "{} of {} damaged certificates judged otherwise than openssl:\n{}",
        disagree.len(),
        files.len(),
        disagree.join("\n")
    );
    // The sample must exercise both verdicts.
    assert!(
        refused_count > 10 && refused_count < files.len(),
        "{refused_count}"
    );
}

/// Issue 17 item 12: a DER CRL or CSR is named for what it is.
#[test]
fn der_crls_and_csrs_say_what_they_are() {
    let scratch = scratch();
    let dir = scratch.path();
    for (file, says) in [
        (
            "crl.der",
            "this is a certificate revocation list (CRL), not a certificate",
        ),
        (
            "csr.der",
            "this is a certificate request (CSR), not a certificate",
        ),
    ] {
        let path = fixture(file);
        one_error(dir, &["fingerprint", path.to_str().unwrap()], &[file, says]);
    }
}

/// Issue 17 item 5: a PKCS#12 file of 2,000 valid encrypted safes, each
/// asking for 10^6 PBKDF2 iterations under the empty password (made by
/// fixtures/make-hostile.sh; OpenSSL grinds through it for minutes), is
/// refused at once from the work it declares: one error, no derivation.
/// The files OpenSSL writes still open (tests/fingerprint.rs).
#[test]
fn pkcs12_work_is_budgeted_per_file() {
    let scratch = scratch();
    let bomb = fixture("pkcs12-bomb.p12");
    one_error(
        scratch.path(),
        &["fingerprint", bomb.to_str().unwrap()],
        &[
            "pkcs12-bomb.p12",
            "more than 8000000 key-derivation iterations in total",
        ],
    );
    let aes = fixture("aes.p12");
    let pw = scratch.path().join("pw");
    fs::write(&pw, "secret\n").unwrap();
    guarded(scratch.path())
        .args([
            "fingerprint",
            "--pkcs12-password-file",
            pw.to_str().unwrap(),
        ])
        .arg(aes.to_str().unwrap())
        .status(0)
        .run();
}

/// Issue 17 item 7 (the `log` part): a huge `--since` age (it panicked
/// with an overflow) and a negative one (it was taken silently) are each
/// one clear error; an ordinary age still works.
#[test]
fn log_since_refuses_huge_and_negative_ages() {
    let scratch = scratch();
    let dir = scratch.path();
    for (age, says) in [
        ("100000000d", "reaches back before the year 1"),
        ("9223372036854775807m", "reaches back before the year 1"),
        ("99999999999999999999d", "reaches back before the year 1"),
        ("-5d", "never negative"),
        ("-1m", "never negative"),
    ] {
        let arg = format!("--since={age}");
        one_error(dir, &["log", &arg, "-"], &["--since", age, says]);
    }
    guarded(dir)
        .args(["log", "--since", "7d", "-"])
        .status(0)
        .any_stderr()
        .stderr_lacks("error")
        .run();
}

/// Issue 17 item 11: `migrate --apply` ends with main.cf and master.cf
/// consistent whatever state a killed run left. Both states a kill between
/// the two writes can leave (main.cf moved but not master.cf, as the old
/// write order did; master.cf moved but not main.cf, as the new one can)
/// are finished by the next run; the killed run's temp files are swept;
/// comment lines are never rewritten; a finished migration says so.
#[test]
fn migrate_finishes_what_a_killed_run_left() {
    let cert = fixture("rsa.pem");
    let fp = {
        let run = guarded(scratch().path())
            .args(["fingerprint", "--format", "map", cert.to_str().unwrap()])
            .env_remove("MAIL_CONFIG")
            .any_stderr()
            .run();
        run.stdout.split_whitespace().next().unwrap().to_string()
    };
    let main = |conf: &Path, ty: &str| {
        format!(
            "compatibility_level = 3.6\n# relay_clientcerts = hash:{c}/clientcerts\n\
             relay_clientcerts = {ty}:{c}/clientcerts\n",
            c = conf.display()
        )
    };
    let master = |conf: &Path, ty: &str| {
        format!(
            "smtp      inet  n       -       y       -       -       smtpd\n\
             #  -o relay_clientcerts=hash:{c}/clientcerts\n\
             submission inet n       -       y       -       -       smtpd\n  \
             -o relay_clientcerts={ty}:{c}/clientcerts\n  \
             -o smtpd_relay_restrictions=permit_tls_clientcerts,reject\n",
            c = conf.display()
        )
    };
    // (main.cf's type, master.cf's type) before the run.
    for (main_type, master_type) in [("hash", "hash"), ("lmdb", "hash"), ("hash", "lmdb")] {
        let scratch = scratch();
        let conf = scratch.path().join("postfix-config");
        fs::write(conf.join("clientcerts"), format!("{fp} rsa\n")).unwrap();
        fs::write(conf.join("main.cf"), main(&conf, main_type)).unwrap();
        fs::write(conf.join("master.cf"), master(&conf, master_type)).unwrap();
        // A killed run's temp files, of a file and of a backup.
        for leftover in [
            ".ccert-main.cf.Xk2p9q",
            ".ccert-master.cf.ccert-1796640000.a1b2c3",
        ] {
            fs::write(conf.join(leftover), "half written").unwrap();
        }
        crate::oracle::settle(&conf);
        let what = format!("main.cf {main_type}:, master.cf {master_type}:");
        guarded(scratch.path())
            .args(["migrate", "--to", "lmdb", "--apply"])
            .note(&what)
            .status(0)
            .any_stderr()
            .run();
        assert_eq!(
            fs::read_to_string(conf.join("main.cf")).unwrap(),
            main(&conf, "lmdb"),
            "{what}"
        );
        assert_eq!(
            fs::read_to_string(conf.join("master.cf")).unwrap(),
            master(&conf, "lmdb"),
            "{what}"
        );
        let names: Vec<String> = fs::read_dir(&conf)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n.starts_with(".ccert-")),
            "{what}: temp files left: {names:?}"
        );
        assert!(conf.join("clientcerts.lmdb").exists(), "{what}");
        crate::oracle::settle(&conf);
        guarded(scratch.path())
            .args(["migrate", "--to", "lmdb", "--apply"])
            .status(0)
            .any_stderr()
            .stdout_contains("nothing to migrate")
            .run();
    }
}

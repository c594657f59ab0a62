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
    let left_out = (1 << 20) - fp.len() - 10 - 160;
    assert!(
        out.replace('\n', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&format!("(+{left_out} bytes; --format plain shows all)")),
        "{out}"
    );
    assert!(out.contains("(+199840"), "{out}");
    assert!(out.contains("short"), "{out}");
    let plain = guarded(dir)
        .args(["--map", "long", "list", "--format", "plain"])
        .status(0)
        .run();
    assert!(plain.stdout.contains(&name) && plain.stdout.contains(&key));
}

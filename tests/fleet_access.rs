//! pgsql: lists against a real, throwaway PostgreSQL (tests/pg.rs), as an
//! operator's bad day goes: secrets in odd places never reach any output,
//! a server that never answers and a row lock that is never released end
//! in one clear error, every path into the list validates alike, a schema
//! altered by hand is one error (no panic), and Postfix's user can be
//! read-only.

use std::fs;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::oracle;
use crate::pg::{self, Cluster};
use crate::test::{Finished, Test};

/// A cluster, a scratch directory with a Postfix configuration and the
/// admin `.cf` (user ccert) written by `db init`.
struct Site {
    pg: Cluster,
    dir: tempfile::TempDir,
    cf: PathBuf,
}

impl Site {
    fn new(test: &str) -> Option<Site> {
        let pg = Cluster::start(test)?;
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("conf")).unwrap();
        let cf = dir.path().join("conf/clientcerts.pgsql.cf");
        let site = Site { pg, dir, cf };
        site.main_cf(&site.cf);
        fs::write(site.path("pw"), format!("{}\n", pg::PASSWORD)).unwrap();
        let out = site.run(&[
            "db",
            "init",
            &format!("pgsql:{}", site.cf.display()),
            "--hosts",
            &site.pg.inet_host(),
            "--dbname",
            "mail",
            "--user",
            "ccert",
            "--password-file",
            site.path("pw").to_str().unwrap(),
        ]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        Some(site)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// main.cf with relay_clientcerts naming `cf`.
    fn main_cf(&self, cf: &Path) {
        fs::write(
            self.path("conf/main.cf"),
            format!(
                "compatibility_level = 3.6\nrelay_clientcerts = pgsql:{}\n",
                cf.display()
            ),
        )
        .unwrap();
    }

    fn ccert(&self, args: &[&str]) -> Test {
        Test::at(self.dir.path())
            .config_dir(self.path("conf"))
            .env_remove("PGPASSWORD")
            .env_remove("PGOPTIONS")
            .args(args)
            .any_stderr()
            .status_among(&[0, 1])
            .timeout(Duration::from_secs(120))
    }

    fn run(&self, args: &[&str]) -> Finished {
        self.ccert(args).run()
    }

    /// Runs ccert and returns its one `ccert: error:` line (exit 1).
    fn error(&self, test: Test) -> String {
        let out = test.run();
        assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("ccert: error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", out.stderr);
        errors[0].to_string()
    }
}

const FP: &str = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

/// Each piece of the secret, so a password cut at `/ ? , @` or a space
/// is caught wherever a piece of it shows.
const PIECES: [&str; 6] = ["Kq4Tz", "Wm7Ry", "Xp2Vb", "Lz9Qs", "Hb3Jk", "Nd5Fw"];

fn assert_no_secret(out: &Finished, what: &str) {
    for piece in PIECES {
        for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !text.contains(piece),
                "{what}: {name} shows {piece:?}:\n{text}"
            );
        }
    }
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn secrets_never_reach_any_output() {
    let Some(site) = Site::new("secrets_never_reach_any_output") else {
        return;
    };
    let port = site.pg.port;
    // A role whose password holds every character that breaks a URI.
    let secret = "Kq4Tz/Wm7Ry?Xp2Vb,Lz9Qs Hb3Jk@Nd5Fw";
    site.pg.psql(
        "mail",
        &format!(
            "CREATE ROLE leaky LOGIN PASSWORD '{secret}'; GRANT ALL ON ccert_clientcerts, ccert_state TO leaky"
        ),
    );
    let encoded = "Kq4Tz%2FWm7Ry%3FXp2Vb%2CLz9Qs%20Hb3Jk%40Nd5Fw";
    let bad_cfs = [
        // Raw in the URI: pgsql_table(5) splits it at the space and comma.
        format!("hosts = postgresql://leaky:{secret}@127.0.0.1:{port}/mail?sslmode=disable\n"),
        // Raw / ? @ without the splitting characters.
        format!(
            "hosts = postgresql://leaky:Kq4Tz/Wm7Ry?Xp2Vb@Nd5Fw@127.0.0.1:{port}/mail?sslmode=disable\n"
        ),
        // A password parameter next to one ccert does not take, and as an unknown one.
        format!(
            "hosts = postgresql://leaky@127.0.0.1:{port}/mail?password={encoded}&sslcompression=Lz9Qs\n"
        ),
        format!("hosts = postgresql://leaky@127.0.0.1:{port}/mail?Kq4Tz=Wm7Ry&pass=Xp2Vb\n"),
        // An indented password line continues hosts.
        format!(
            "hosts = inet:127.0.0.1:{port}\n  password = Kq4TzWm7Ry\nuser = leaky\ndbname = mail\n"
        ),
        format!(
            "hosts = inet:127.0.0.1:{port}\n\tpassword=Kq4TzWm7Ry\nuser = leaky\ndbname = mail\n"
        ),
        // The right password, wrongly encoded.
        format!("hosts = postgresql://leaky:Kq4Tz%2GWm7Ry@127.0.0.1:{port}/mail\n"),
        // A wrong password (authentication fails).
        format!("hosts = postgresql://leaky:Kq4TzWm7Ry@127.0.0.1:{port}/mail?sslmode=disable\n"),
    ];
    let sync_to = site.path("synced");
    let sync_to = format!("cdb:{}", sync_to.display());
    for (i, text) in bad_cfs.iter().enumerate() {
        let cf = site.path(&format!("conf/bad{i}.pgsql.cf"));
        fs::write(&cf, format!("{text}query = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'\nexpansion_limit = 1\n")).unwrap();
        site.main_cf(&cf);
        let map = format!("pgsql:{}", cf.display());
        for args in [
            vec!["--map", map.as_str(), "list"],
            vec!["sync", "--from", map.as_str(), "--to", sync_to.as_str()],
            vec![
                "--map",
                map.as_str(),
                "add",
                "--fingerprint",
                FP,
                "--name",
                "x",
            ],
            vec!["db", "init", map.as_str()],
            vec!["doctor"],
        ] {
            let out = site.run(&args);
            assert_no_secret(&out, &format!("case {i} {args:?}"));
            assert_eq!(
                out.status, 1,
                "case {i} {args:?} should fail: {}",
                out.stdout
            );
        }
    }
    // The same password percent-encoded works, and is shown nowhere.
    let cf = site.path("conf/good.pgsql.cf");
    fs::write(
        &cf,
        format!(
            "hosts = postgresql://leaky:{encoded}@127.0.0.1:{port}/mail?sslmode=disable\n\
             query = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'\nexpansion_limit = 1\n"
        ),
    )
    .unwrap();
    site.main_cf(&cf);
    let map = format!("pgsql:{}", cf.display());
    for args in [
        vec![
            "--map",
            map.as_str(),
            "add",
            "--fingerprint",
            FP,
            "--name",
            "leak-test",
        ],
        vec!["--map", map.as_str(), "list"],
        vec!["sync", "--from", map.as_str(), "--to", sync_to.as_str()],
        vec!["doctor"],
    ] {
        let out = site.run(&args);
        assert_no_secret(&out, &format!("good {args:?}"));
        if args[0] != "doctor" {
            assert_eq!(out.status, 0, "{args:?}: {}", out.stderr);
        }
    }
    // db init with the password in a file and a URI host writes it into
    // the password file the URI names, never into the URI (Postfix logs
    // it); raw forms, and any password inside a --hosts URI, are refused.
    fs::write(site.path("leaky.pw"), format!("{secret}\n")).unwrap();
    let new_cf = site.path("conf/new.pgsql.cf");
    let new_map = format!("pgsql:{}", new_cf.display());
    let uri = format!("postgresql://127.0.0.1:{port}/mail?sslmode=disable");
    let out = site.run(&[
        "db",
        "init",
        &new_map,
        "--hosts",
        &uri,
        "--user",
        "leaky",
        "--password-file",
        site.path("leaky.pw").to_str().unwrap(),
    ]);
    assert_no_secret(&out, "db init with a URI host");
    assert_eq!(out.status, 0, "{}", out.stderr);
    let text = fs::read_to_string(&new_cf).unwrap();
    assert!(
        !text.contains(encoded) && text.contains("postgresql://leaky@127.0.0.1:"),
        "{text}"
    );
    for piece in secret.as_bytes().chunks(5) {
        assert!(
            !text.contains(std::str::from_utf8(piece).unwrap()),
            "{text}"
        );
    }
    let pgpass = fs::read_to_string(format!("{}.pgpass", new_cf.display())).unwrap();
    assert_eq!(pgpass, format!("*:*:*:leaky:{secret}\n"));
    let out = site.run(&["--map", &new_map, "list"]);
    assert_no_secret(&out, "list through db init's URI");
    assert!(out.stdout.contains("leak-test"), "{}", out.stdout);
    for hosts in [
        format!("postgresql://leaky:{secret}@127.0.0.1:{port}/mail"),
        format!("postgresql://leaky:Kq4Tz/Wm7Ry@127.0.0.1:{port}/mail"),
        format!("postgresql://leaky:{encoded}@127.0.0.1:{port}/mail"),
        "127.0.0.1\n  password = Kq4TzWm7Ry".to_string(),
    ] {
        let out = site.run(&["db", "init", &new_map, "--force", "--hosts", &hosts]);
        assert_no_secret(&out, &format!("db init --hosts {hosts:?}"));
        assert_eq!(out.status, 1);
    }
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "openssl",
        ccert_missing = "postfix-pgsql",
        ccert_missing = "postgresql"
    ),
    ignore = "needs openssl, postfix-pgsql and postgresql"
)]
fn the_readme_fleet_example_runs_as_written() {
    let Some(mut site) = Site::new("the_readme_fleet_example_runs_as_written") else {
        return;
    };
    let port = site.pg.port;
    // The README's form: a URI host, --user and --password-file, as
    // written (verify-full, with the test CA).
    let openssl = oracle::require("openssl", "the_readme_fleet_example_runs_as_written").unwrap();
    let ca = site.pg.enable_tls(&openssl);
    let uri = format!(
        "postgresql://localhost:{port}/mail?sslmode=verify-full&sslrootcert={}",
        ca.display()
    );
    let cf = site.path("conf/readme.pgsql.cf");
    let map = format!("pgsql:{}", cf.display());
    site.main_cf(&cf);
    let out = site.run(&[
        "db",
        "init",
        &map,
        "--hosts",
        &uri,
        "--user",
        "ccert",
        "--password-file",
        site.path("pw").to_str().unwrap(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let out = site.run(&["add", "--fingerprint", FP, "--name", "readme"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // Postfix's own libpq reads the URI db init wrote (the password from the
    // password file it names).
    {
        let test = "the_readme_fleet_example_runs_as_written";
        oracle::require_map_type("pgsql", test);
        let postmap = oracle::require("postmap", test).unwrap();
        let q = Command::new(postmap)
            .args(["-c", site.path("conf").to_str().unwrap(), "-q", FP])
            .arg(&map)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&q.stdout).trim(),
            "readme",
            "{}",
            String::from_utf8_lossy(&q.stderr)
        );
    }
    // PGPASSWORD instead of the file, also for a URI host.
    let cf2 = site.path("conf/readme2.pgsql.cf");
    let map2 = format!("pgsql:{}", cf2.display());
    let out = site
        .ccert(&["db", "init", &map2, "--hosts", &uri, "--user", "ccert"])
        .env("PGPASSWORD", pg::PASSWORD)
        .run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = site.run(&["--map", &map2, "list", "--format", "plain"]);
    assert!(
        out.stdout.contains("readme"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    for text in [
        fs::read_to_string(&cf).unwrap(),
        fs::read_to_string(&cf2).unwrap(),
    ] {
        // The user in the URI, the password in the password file it names.
        assert!(text.contains("postgresql://ccert@"), "{text}");
        assert!(
            text.contains("&connect_timeout=10&passfile=") && !text.contains(pg::PASSWORD),
            "{text}"
        );
        assert!(!text.contains("\nuser ="), "{text}");
    }
    for cf in [&cf, &cf2] {
        let pgpass = format!("{}.pgpass", cf.display());
        let meta = fs::metadata(&pgpass).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{pgpass}");
    }
    // A password file the group may read: libpq (Postfix) ignores it, so
    // ccert refuses it and doctor names the fix; the password never shows.
    let pgpass = format!("{}.pgpass", cf.display());
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o640)).unwrap();
    let err = site.error(site.ccert(&["--map", &map, "list"]));
    assert!(
        err.contains("may be read by its group or others") && err.contains("chmod 0600"),
        "{err}"
    );
    let out = site.run(&["doctor"]);
    assert!(
        out.stdout.contains(&format!(
            "takes its password from {pgpass}, which may be read"
        )) && out.stdout.contains(&format!("chmod 0600 {pgpass}"))
            && !out.stdout.contains(pg::PASSWORD),
        "{}",
        out.stdout
    );
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(site.run(&["--map", &map, "list"]).status, 0);
    // A URI without a password takes PGPASSWORD when ccert connects.
    let cf3 = site.path("conf/nopw.pgsql.cf");
    fs::write(
        &cf3,
        format!("hosts = {}\n", uri.replace("://", "://ccert@")),
    )
    .unwrap();
    let out = site
        .ccert(&[
            "--map",
            &format!("pgsql:{}", cf3.display()),
            "list",
            "--format",
            "plain",
        ])
        .env("PGPASSWORD", pg::PASSWORD)
        .run();
    assert!(
        out.stdout.contains("readme"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    site.pg.stop_server();
}

/// Accepts TCP connections on 127.0.0.1 and never answers; stops on drop.
struct SilentServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SilentServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) && held.len() < 64 {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        SilentServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = SilentServer::start();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    fs::write(
        dir.path().join("conf/main.cf"),
        "compatibility_level = 3.6\n",
    )
    .unwrap();
    let cf = dir.path().join("conf/silent.pgsql.cf");
    let map = format!("pgsql:{}", cf.display());
    let to = format!("cdb:{}", dir.path().join("copy").display());
    for (hosts, secs) in [
        (
            format!(
                "postgresql://u:pw@127.0.0.1:{}/mail?connect_timeout=2",
                server.port
            ),
            "2",
        ),
        (format!("inet:127.0.0.1:{}", server.port), "10"),
    ] {
        fs::write(
            &cf,
            format!("hosts = {hosts}\nuser = u\npassword = pw\ndbname = mail\n"),
        )
        .unwrap();
        for args in [
            vec!["--map", map.as_str(), "list"],
            vec!["sync", "--from", map.as_str(), "--to", to.as_str()],
        ] {
            let out = Test::at(dir.path())
                .config_dir(dir.path().join("conf"))
                .args(&args)
                .status(1)
                .any_stderr()
                .timeout(Duration::from_secs(60))
                .run();
            assert!(
                out.stderr.contains(&format!("no answer within {secs} s")),
                "{args:?}: {}",
                out.stderr
            );
            assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        }
        // sync created nothing.
        assert!(!dir.path().join("copy").exists());
    }
}

/// A psql session that locks the state row and stays idle in its
/// transaction until dropped.
struct HeldLock(Child);

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn a_held_row_lock_ends_in_a_clear_error() {
    let Some(site) = Site::new("a_held_row_lock_ends_in_a_clear_error") else {
        return;
    };
    let mut child = Command::new(site.pg.bin("psql"))
        .args(["-X", "-q", "-h"])
        .arg(site.pg.path("sock"))
        .args(["-p", &site.pg.port.to_string(), "-U", "ccert", "-d", "mail"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"BEGIN; SELECT 1 FROM ccert_state FOR UPDATE;\n")
        .unwrap();
    let held = HeldLock(child);
    // Wait until the session is idle in its transaction.
    for _ in 0..100 {
        let n = site.pg.psql(
            "mail",
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'",
        );
        if n == "1" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let error = site.error(
        site.ccert(&["add", "--fingerprint", FP, "--name", "blocked"])
            .env("PGOPTIONS", "-c lock_timeout=2s"),
    );
    assert!(error.contains("lock_timeout"), "{error}");
    assert!(error.contains("nothing changed"), "{error}");
    assert!(error.contains("idle in transaction"), "{error}");
    // On a terminal the wait is announced first.
    let out = site
        .ccert(&["add", "--fingerprint", FP, "--name", "blocked"])
        .env("PGOPTIONS", "-c lock_timeout=2s")
        .pty()
        .run();
    assert!(
        out.stdout.contains("waiting for another edit"),
        "{}",
        out.stdout
    );
    drop(held);
    let out = site.run(&["add", "--fingerprint", FP, "--name", "blocked"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn a_schema_altered_by_hand_is_one_error() {
    let Some(site) = Site::new("a_schema_altered_by_hand_is_one_error") else {
        return;
    };
    let out = site.run(&["add", "--fingerprint", FP, "--name", "kept"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let to = format!("cdb:{}", site.path("copy").display());
    let map = format!("pgsql:{}", site.cf.display());
    for (alter, restore, names) in [
        (
            "ALTER TABLE ccert_state ALTER generation TYPE integer",
            "ALTER TABLE ccert_state ALTER generation TYPE bigint",
            "ccert_state.generation is integer",
        ),
        (
            "ALTER TABLE ccert_state ALTER schema_version TYPE bigint",
            "ALTER TABLE ccert_state ALTER schema_version TYPE integer",
            "ccert_state.schema_version is bigint",
        ),
        (
            "ALTER TABLE ccert_clientcerts ALTER not_after TYPE timestamp",
            "ALTER TABLE ccert_clientcerts ALTER not_after TYPE timestamptz",
            "ccert_clientcerts.not_after is timestamp without time zone",
        ),
        (
            "ALTER TABLE ccert_clientcerts ALTER name DROP NOT NULL; \
             INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) \
             VALUES ('00:11', NULL, 'sha1', 'cert', 'psql')",
            "DELETE FROM ccert_clientcerts WHERE name IS NULL; \
             ALTER TABLE ccert_clientcerts ALTER name SET NOT NULL",
            "ccert_clientcerts.name allows NULL",
        ),
    ] {
        site.pg.psql("mail", alter);
        for args in [
            vec!["list"],
            vec!["list", "--format", "plain"],
            vec!["sync", "--from", map.as_str(), "--to", to.as_str()],
            vec!["dump", map.as_str()],
        ] {
            let error = site.error(site.ccert(&args));
            assert!(error.contains(names), "{alter} / {args:?}: {error}");
        }
        // doctor reads the same tables: findings, never a panic.
        let out = site.run(&["doctor"]);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        site.pg.psql("mail", restore);
        let out = site.run(&["list", "--format", "plain"]);
        assert!(out.stdout.contains("kept"), "{restore}: {}", out.stderr);
    }
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn every_path_into_the_list_validates_alike() {
    let Some(site) = Site::new("every_path_into_the_list_validates_alike") else {
        return;
    };
    // import refuses the names add refuses, naming the line; nothing is imported.
    let source = site.path("clientcerts");
    fs::write(
        &source,
        format!(
            "{FP} good\n11:22:33:44:55:66:77:88:11:22:33:44:55:66:77:88:11:22:33:44:55:66:77:88:11:22:33:44:55:66:77:88 bad\tname\n"
        ),
    )
    .unwrap();
    let error = site.error(site.ccert(&["import", source.to_str().unwrap()]));
    assert!(error.contains("line 2"), "{error}");
    let add = site.error(site.ccert(&["add", "--fingerprint", FP, "--name", "bad\tname"]));
    assert!(add.contains("control characters"), "{add}");
    assert!(error.contains("control characters"), "{error}");
    let out = site.run(&["list", "--format", "plain"]);
    assert!(!out.stdout.contains("good"), "{}", out.stdout);
    // db init refuses values that would add lines to the .cf.
    let cf = site.path("conf/inject.pgsql.cf");
    let map = format!("pgsql:{}", cf.display());
    let host = site.pg.inet_host();
    for (option, value) in [
        ("--user", "ccert\nquery = DELETE FROM ccert_clientcerts"),
        ("--dbname", "mail\rhosts = evil.example"),
        ("--hosts", "127.0.0.1\nuser = other"),
        ("--user", "cc\u{7}ert"),
    ] {
        let mut args = vec!["db", "init", map.as_str(), option, value];
        if option != "--hosts" {
            args.extend(["--hosts", host.as_str()]);
        }
        let error = site.error(site.ccert(&args));
        assert!(error.contains("control character"), "{option}: {error}");
        assert!(!cf.exists(), "{option}: the .cf was written");
    }
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix-pgsql", ccert_missing = "postgresql"),
    ignore = "needs postfix-pgsql and postgresql"
)]
fn postfix_can_look_up_with_a_read_only_role() {
    let Some(site) = Site::new("postfix_can_look_up_with_a_read_only_role") else {
        return;
    };
    let out = site.run(&["add", "--fingerprint", FP, "--name", "lookup"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // doctor: Postfix's .cf (the admin one here) can write the list.
    let out = site.ccert(&["doctor"]).run();
    assert!(
        out.stdout
            .contains("may also INSERT, UPDATE, DELETE, TRUNCATE"),
        "{}",
        out.stdout
    );
    let map = format!("pgsql:{}", site.cf.display());
    // --print-sql changes nothing and prints no password.
    let out = site.run(&[
        "db",
        "init",
        &map,
        "--lookup-user",
        "postfix_lookup",
        "--print-sql",
    ]);
    assert!(out.stdout.contains(
        "GRANT SELECT ON ccert_clientcerts, ccert_state, ccert_revocations TO \"postfix_lookup\""
    ));
    assert_eq!(
        site.pg.psql(
            "mail",
            "SELECT count(*) FROM pg_roles WHERE rolname = 'postfix_lookup'"
        ),
        "0"
    );
    let out = site.run(&["db", "init", &map, "--lookup-user", "postfix_lookup"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lookup_cf = site.path("conf/clientcerts-lookup.pgsql.cf");
    let lookup = format!("pgsql:{}", lookup_cf.display());
    assert!(out.stdout.contains(&lookup), "{}", out.stdout);
    // The lookup role reads, and cannot write.
    let out = site.run(&["query", FP, &lookup]);
    assert_eq!(out.stdout.trim(), "lookup", "{}", out.stderr);
    let error = site.error(site.ccert(&["--map", &lookup, "remove", "--name", "lookup", "--yes"]));
    assert!(error.contains("permission denied"), "{error}");
    // With relay_clientcerts on the lookup .cf, doctor has no such warning.
    site.main_cf(&lookup_cf);
    let out = site.ccert(&["doctor"]).run();
    assert!(!out.stdout.contains("may also"), "{}", out.stdout);
    // Postfix's real lookup through the read-only .cf.
    {
        let test = "postfix_can_look_up_with_a_read_only_role";
        oracle::require_map_type("pgsql", test);
        let postmap = oracle::require("postmap", test).unwrap();
        let q = Command::new(postmap)
            .args(["-c", site.path("conf").to_str().unwrap(), "-q", FP])
            .arg(&lookup)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), "lookup");
    }
}

#[test]
fn doctor_warns_about_passwords_sent_without_verified_tls() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    let cf = dir.path().join("conf/remote.pgsql.cf");
    fs::write(
        dir.path().join("conf/main.cf"),
        format!("relay_clientcerts = pgsql:{}\n", cf.display()),
    )
    .unwrap();
    fs::write(
        &cf,
        "hosts = db.example.invalid, postgresql://u@db2.example.invalid/mail?sslmode=require, \
         postgresql://u@db3.example.invalid/mail?sslmode=verify-full, 127.0.0.1\n\
         user = u\ndbname = mail\nexpansion_limit = 1\n\
         query = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'\n",
    )
    .unwrap();
    let out = Test::at(dir.path())
        .config_dir(dir.path().join("conf"))
        .args(["doctor"])
        .status(1)
        .any_stderr()
        .timeout(Duration::from_secs(120))
        .run();
    assert!(
        out.stdout.contains(
            "hosts item 1 of 4 (inet:db.example.invalid) crosses the network with sslmode=prefer"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("hosts item 2 of 4") && out.stdout.contains("sslmode=require"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("sslmode=verify-full) crosses"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout
            .contains("hosts item 4 of 4 (inet:127.0.0.1) crosses"),
        "{}",
        out.stdout
    );
    // Postfix's own connection has no deadline for a plain host or a URI
    // without connect_timeout.
    assert!(
        out.stdout.contains(
            "hosts item 1 of 4 (inet:db.example.invalid): Postfix connects to it without a timeout"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("add connect_timeout=10 to the URI"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("PGCONNECT_TIMEOUT=10"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_second_sync_leaves_at_once_while_one_writes() {
    // No database needed: the check comes before the connection.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    fs::write(
        dir.path().join("conf/main.cf"),
        "compatibility_level = 3.6\n",
    )
    .unwrap();
    let cf = dir.path().join("conf/x.pgsql.cf");
    fs::write(&cf, "hosts = inet:127.0.0.1:1\nuser = u\ndbname = mail\n").unwrap();
    let copy = dir.path().join("copy");
    fs::write(
        &copy,
        "# ccert sync: database=x generation=1 from=pgsql:x\n",
    )
    .unwrap();
    let held = fs::File::open(&copy).unwrap();
    // Released when `held` is dropped.
    ccert::sys::flock(&held, ccert::sys::Flock::Exclusive).unwrap();
    let out = Test::at(dir.path())
        .config_dir(dir.path().join("conf"))
        .args([
            "sync",
            "--from",
            &format!("pgsql:{}", cf.display()),
            "--to",
            &format!("cdb:{}", copy.display()),
        ])
        .timeout(Duration::from_secs(30))
        .run();
    assert!(
        out.stdout
            .contains("another ccert run is writing it; skipped"),
        "{}",
        out.stdout
    );
    drop(held);
    // Once free, sync goes on (and here fails to connect: one error line).
    let out = Test::at(dir.path())
        .config_dir(dir.path().join("conf"))
        .args([
            "sync",
            "--from",
            &format!("pgsql:{}", cf.display()),
            "--to",
            &format!("cdb:{}", copy.display()),
        ])
        .status(1)
        .any_stderr()
        .timeout(Duration::from_secs(60))
        .run();
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
}

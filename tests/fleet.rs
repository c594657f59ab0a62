//! pgsql: lists against a real, throwaway PostgreSQL (tests/pg.rs):
//! db init, every editing and reading command, import, sync, doctor, TLS,
//! errors, migrations and concurrent editors.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::oracle;
use crate::pg::{self, Cluster};
use crate::test::{Test, fixtures};

/// A cluster, a scratch directory with an empty Postfix configuration, and
/// a `.cf` for the cluster's `mail` database.
pub(crate) struct Fleet {
    pub(crate) pg: Cluster,
    dir: tempfile::TempDir,
    pub(crate) cf: PathBuf,
}

impl Fleet {
    /// Starts a cluster and runs `ccert db init` over TCP with a password file.
    pub(crate) fn new(test: &str) -> Option<Fleet> {
        let pg = Cluster::start(test)?;
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("conf")).unwrap();
        // Enough for postmap -c.
        fs::write(
            dir.path().join("conf/main.cf"),
            "compatibility_level = 3.6\n",
        )
        .unwrap();
        let cf = dir.path().join("conf/clientcerts.pgsql.cf");
        let fleet = Fleet { pg, dir, cf };
        let pw = fleet.path("pw");
        fs::write(&pw, format!("{}\n", pg::PASSWORD)).unwrap();
        let hosts = fleet.pg.inet_host();
        let out = fleet.ok(&[
            "db",
            "init",
            &fleet.map(),
            "--hosts",
            &hosts,
            "--dbname",
            "mail",
            "--user",
            "ccert",
            "--password-file",
            pw.to_str().unwrap(),
        ]);
        assert!(out.contains("created the ccert tables"), "{out}");
        Some(fleet)
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn map(&self) -> String {
        format!("pgsql:{}", self.cf.display())
    }

    /// `ccert ARGS` with the fleet's configuration, no PGPASSWORD, and a
    /// standard error that never shows the password.
    pub(crate) fn ccert(&self, args: &[&str]) -> Test {
        Test::at(self.dir.path())
            .config_dir(self.path("conf"))
            .env_remove("PGPASSWORD")
            .args(args)
            .stderr_lacks(pg::PASSWORD)
    }

    /// Runs `test`, checks the password is not on standard output either,
    /// and returns standard output.
    pub(crate) fn stdout(&self, test: Test) -> String {
        let out = test.run();
        assert!(!out.stdout.contains(pg::PASSWORD), "{}", out.stdout);
        out.stdout
    }

    /// Runs ccert, asserts success and silence on standard error, returns
    /// stdout (and checks the password never shows).
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        self.stdout(self.ccert(args))
    }

    /// Runs ccert, asserts exit 1 with one error line (remove lists what it
    /// matched before it); returns that line.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.ccert(args).status(1).any_stderr().run();
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("ccert: error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", out.stderr);
        errors[0].to_string()
    }

    /// A certificate made by `ccert issue` (EC): `<dir>/<name>.pem`.
    pub(crate) fn cert(&self, name: &str) -> PathBuf {
        let out = self.path("certs");
        fs::create_dir_all(&out).unwrap();
        self.ok(&[
            "issue",
            name,
            "--out",
            out.to_str().unwrap(),
            "--days",
            "20",
        ]);
        out.join(format!("{name}.pem"))
    }

    /// `ccert doctor`'s report (exit 1: each case here has findings).
    pub(crate) fn doctor(&self) -> String {
        self.stdout(self.ccert(&["doctor"]).status(1))
    }

    /// Runs `ccert --map MAP ARGS` like [`Fleet::ok`]; `remove` first
    /// lists on standard error the entries it matched.
    pub(crate) fn with_map(&self, args: &[&str]) -> String {
        let map = self.map();
        let mut all = vec!["--map", map.as_str()];
        all.extend_from_slice(args);
        let test = self.ccert(&all);
        if args[0] == "remove" {
            let said = format!(" in {map} match");
            return self.stdout(test.stderr_contains("ccert: 1 entry").stderr_contains(said));
        }
        self.stdout(test)
    }
}

pub(crate) fn fingerprint(fleet: &Fleet, cert: &Path) -> String {
    let out = fleet.ok(&[
        "fingerprint",
        "--digest",
        "sha256",
        "--format",
        "map",
        cert.to_str().unwrap(),
    ]);
    out.split_whitespace().next().unwrap().to_string()
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn init_writes_the_cf_once_and_never_prints_the_password() {
    let Some(f) = Fleet::new("init_writes_the_cf_once_and_never_prints_the_password") else {
        return;
    };
    let meta = fs::metadata(&f.cf).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    let text = fs::read_to_string(&f.cf).unwrap();
    assert!(text.contains("query = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'"));
    assert!(text.contains("expansion_limit = 1"));
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root && let Some(gid) = group_id("postfix") {
        assert_eq!((meta.uid(), meta.gid()), (0, gid));
    }
    // An existing .cf is not replaced without --force; with neither hosts
    // nor --force the existing one is used (and the schema is current).
    let hosts = f.pg.inet_host();
    let err = f.fails(&[
        "db",
        "init",
        &f.map(),
        "--hosts",
        &hosts,
        "--dbname",
        "x",
        "--user",
        "y",
    ]);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&f.cf).unwrap(), text);
    let out = f.ok(&["db", "init", &f.map()]);
    assert!(out.contains("up to date (schema version 4)"), "{out}");
    // PGPASSWORD is taken when there is no password file.
    f.stdout(
        f.ccert(&[
            "db",
            "init",
            &f.map(),
            "--hosts",
            &hosts,
            "--dbname",
            "mail",
            "--user",
            "ccert",
            "--force",
        ])
        .env("PGPASSWORD", pg::PASSWORD),
    );
    assert_eq!(fs::read_to_string(&f.cf).unwrap(), text);
}

fn group_id(name: &str) -> Option<u32> {
    let out = Command::new("getent").args(["group", name]).output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split(':')
        .nth(2)?
        .trim()
        .parse()
        .ok()
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postfix-pgsql", ccert_missing = "postgresql"),
    ignore = "needs postfix-pgsql and postgresql"
)]
fn edits_work_on_pgsql_as_on_a_file() {
    let Some(f) = Fleet::new("edits_work_on_pgsql_as_on_a_file") else {
        return;
    };
    let a = f.cert("alpha");
    let b = f.cert("beta");
    let fa = fingerprint(&f, &a);
    let fb = fingerprint(&f, &b);
    let out = f.with_map(&["add", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(out.contains(&format!("added {fa} alpha")), "{out}");
    // The same certificate again: one row, a notice.
    f.ccert(&["--map", &f.map(), "add", a.to_str().unwrap()])
        .stderr(format!(
            "ccert: notice: {}: {fa} is already in {} as \"alpha\"; nothing to do\n",
            a.display(),
            f.map()
        ))
        .run();
    assert_eq!(
        f.pg.psql("mail", "SELECT count(*) FROM ccert_clientcerts"),
        "2"
    );
    // Keys are stored lower case, as Postfix queries them.
    let plain = f.with_map(&["list", "--format", "plain"]);
    assert_eq!(
        plain,
        format!("{} alpha\n{} beta\n", fa.to_lowercase(), fb.to_lowercase())
    );
    let json = f.with_map(&["list", "--format", "json"]);
    assert!(
        json.contains("\"certificate_stored\": true") && json.contains("\"subject\": \"CN=alpha\""),
        "{json}"
    );
    // The table fits the terminal as a file list's does: fingerprints
    // shortened on a narrow one, whole on a wide one.
    for (columns, whole) in [("60", false), ("200", true)] {
        let table = f.stdout(
            f.ccert(&["--map", &f.map(), "list"])
                .env("COLUMNS", columns),
        );
        let width: usize = columns.parse().unwrap();
        assert!(
            table.lines().all(|l| l.chars().count() <= width),
            "COLUMNS={columns}:\n{table}"
        );
        assert_eq!(table.contains(&fa.to_lowercase()), whole, "{table}");
        assert!(table.contains("alpha") && table.contains("beta"), "{table}");
    }
    // --expiring: both expire in 20 days.
    f.ccert(&[
        "--map",
        &f.map(),
        "list",
        "--expiring",
        "30",
        "--format",
        "plain",
    ])
    .status(1)
    .run();
    f.ok(&[
        "--map",
        &f.map(),
        "list",
        "--expiring",
        "5",
        "--format",
        "plain",
    ]);
    // A different name is refused without --replace, renamed with it.
    let map = f.map();
    let err = f.fails(&["--map", &map, "add", a.to_str().unwrap(), "--name", "other"]);
    assert!(
        err.contains(&f.cf.display().to_string()) && err.contains("--replace"),
        "{err}"
    );
    f.with_map(&["add", a.to_str().unwrap(), "--name", "other", "--replace"]);
    // query and dump take the map as Postfix names it, also behind proxy:.
    assert_eq!(f.ok(&["query", &fa, &map]), "other\n");
    assert_eq!(
        f.ok(&["query", &fa.to_lowercase(), &format!("proxy:{map}")]),
        "other\n"
    );
    f.ccert(&["query", "00:11", &map])
        .status(1)
        .stdout("")
        .run();
    // Postfix's own pgsql client reads the same .cf and finds the same name.
    {
        oracle::require_map_type("pgsql", "edits_work_on_pgsql_as_on_a_file");
        let postmap = oracle::require("postmap", "edits_work_on_pgsql_as_on_a_file").unwrap();
        let conf = f.path("conf");
        let got = oracle::run_ok(
            &postmap,
            &["-c", conf.to_str().unwrap(), "-q", &fa.to_lowercase(), &map],
        );
        assert_eq!(got, "other\n");
    }
    let dump = f.ok(&["dump", &map]);
    assert_eq!(dump.lines().count(), 2);
    assert!(dump.contains(&format!("{}\tbeta", fb.to_lowercase())));
    // remove by name, by certificate; confirmation is required without a terminal.
    let err = f.fails(&["--map", &map, "remove", "--name", "other"]);
    assert!(err.contains("--yes"), "{err}");
    f.with_map(&["remove", "--name", "other", "--yes"]);
    f.with_map(&["remove", b.to_str().unwrap(), "--yes"]);
    assert_eq!(f.with_map(&["list", "--format", "plain"]), "");
    let err = f.fails(&["--map", &map, "remove", "--name", "gone", "--yes"]);
    assert!(err.contains("no entry matches"), "{err}");
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn relay_clientcerts_names_the_list() {
    let Some(f) = Fleet::new("relay_clientcerts_names_the_list") else {
        return;
    };
    fs::write(
        f.path("conf/main.cf"),
        format!(
            "relay_clientcerts = proxy:{}\nsmtpd_tls_fingerprint_digest = sha256\n",
            f.map()
        ),
    )
    .unwrap();
    let a = f.cert("gamma");
    f.ok(&["add", a.to_str().unwrap()]);
    assert!(f.ok(&["list", "--format", "plain"]).contains("gamma"));
    assert!(!f.path("conf/clientcerts").exists());
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn rehash_rewrites_every_row_from_the_stored_certificates() {
    let Some(f) = Fleet::new("rehash_rewrites_every_row_from_the_stored_certificates") else {
        return;
    };
    let a = f.cert("delta");
    f.ccert(&[
        "--map",
        &f.map(),
        "add",
        a.to_str().unwrap(),
        "--digest",
        "md5",
    ])
    .stderr(
        "ccert: warning: the server compares sha256 fingerprints (smtpd_tls_fingerprint_digest), \
             so a md5 entry can never match; adding it anyway (--strict refuses)\n",
    )
    .run();
    let out = f.with_map(&["rehash", "--digest", "sha256", "--pubkey"]);
    assert!(out.contains("rewrote 1 of 1"), "{out}");
    let want = f.ok(&[
        "fingerprint",
        "--digest",
        "sha256",
        "--pubkey",
        "--format",
        "map",
        a.to_str().unwrap(),
    ]);
    let want = want.split_whitespace().next().unwrap().to_lowercase();
    assert_eq!(
        f.pg.psql(
            "mail",
            "SELECT fingerprint || ' ' || digest || ' ' || kind FROM ccert_clientcerts"
        ),
        format!("{want} sha256 pubkey")
    );
    // A row without a certificate cannot be re-digested: nothing changes.
    f.pg.psql("mail", "INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) VALUES ('aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99', 'bare', 'md5', 'cert', 'psql')");
    let err = f.fails(&["--map", &f.map(), "rehash", "--digest", "sha1"]);
    assert!(
        err.contains("no stored certificate") && err.contains("bare"),
        "{err}"
    );
    assert!(
        f.pg.psql("mail", "SELECT digest FROM ccert_clientcerts ORDER BY 1")
            .starts_with("md5\nsha256")
    );
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn import_keeps_names_metadata_and_certificates_and_is_idempotent() {
    let Some(f) = Fleet::new("import_keeps_names_metadata_and_certificates_and_is_idempotent")
    else {
        return;
    };
    // A file source made by ccert add (comment lines, certificate copies).
    let source = f.path("clientcerts");
    let a = f.cert("epsilon");
    f.ok(&[
        "--map",
        source.to_str().unwrap(),
        "add",
        a.to_str().unwrap(),
        "--name",
        "eps",
        "--no-compile",
    ]);
    let mut text = fs::read_to_string(&source).unwrap();
    text.push_str("# a hand-written entry\n00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF hand\n");
    text.push_str("00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff duplicate-ignored\n");
    fs::write(&source, text).unwrap();
    let out = f.with_map(&["import", source.to_str().unwrap()]);
    assert!(out.contains("2 added"), "{out}");
    let rows = f.pg.psql(
        "mail",
        "SELECT name, kind, subject IS NOT NULL, certificate IS NOT NULL, not_after IS NOT NULL FROM ccert_clientcerts ORDER BY name",
    );
    assert_eq!(rows, "eps|cert|t|t|t\nhand|cert|f|f|f");
    let out = f.with_map(&["import", source.to_str().unwrap()]);
    assert!(out.contains("0 added, 2 already present"), "{out}");
    assert_eq!(
        f.pg.psql("mail", "SELECT count(*) FROM ccert_clientcerts"),
        "2"
    );
    // The imported certificate supports rehash.
    f.pg.psql("mail", "DELETE FROM ccert_clientcerts WHERE name = 'hand'");
    f.with_map(&["rehash", "--digest", "sha1"]);
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn sync_writes_a_local_table_only_when_the_database_changed() {
    let Some(f) = Fleet::new("sync_writes_a_local_table_only_when_the_database_changed") else {
        return;
    };
    let a = f.cert("zeta");
    f.with_map(&["add", a.to_str().unwrap()]);
    let local = f.path("local/clientcerts");
    fs::create_dir(f.path("local")).unwrap();
    let to = format!("cdb:{}", local.display());
    let map = f.map();
    let out = f.ok(&["sync", "--from", &map, "--to", &to]);
    assert!(
        out.contains("wrote cdb:") && out.contains("1 entries"),
        "{out}"
    );
    let fa = fingerprint(&f, &a).to_lowercase();
    assert_eq!(f.ok(&["query", &fa, &to]), "zeta\n");
    // (Postfix reading that copy: postmap_reads_the_table_sync_wrote.)
    // Nothing changed: nothing written.
    let before = fs::metadata(local.with_extension("cdb"))
        .unwrap()
        .modified()
        .unwrap();
    let out = f.ok(&["sync", "--from", &map, "--to", &to]);
    assert!(out.contains("up to date"), "{out}");
    assert_eq!(
        fs::metadata(local.with_extension("cdb"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    // A no-op add does not count as a change; a removal does.
    f.ccert(&["--map", &map, "add", a.to_str().unwrap()])
        .stderr_contains(" is already in ")
        .stderr_contains("; nothing to do\n")
        .run();
    assert!(
        f.ok(&["sync", "--from", &map, "--to", &to])
            .contains("up to date")
    );
    // Removing the last entry with ccert is a revocation the generation
    // records: it reaches the copy (tests/fleet_sync.rs has the refusals).
    f.with_map(&["remove", "--name", "zeta", "--yes"]);
    assert!(
        f.ok(&["sync", "--from", &map, "--to", &to])
            .contains("0 entries")
    );
    f.ccert(&["query", &fa, &to]).status(1).stdout("").run();
    // Concurrent syncs (a timer and a manual run) take turns on FILE's lock.
    f.with_map(&["add", a.to_str().unwrap()]);
    let runs: Vec<_> = (0..4)
        .map(|_| f.ccert(&["sync", "--from", &map, "--to", &to]).spawn())
        .collect();
    let outputs: Vec<String> = runs.into_iter().map(|c| c.wait().stdout).collect();
    assert_eq!(
        outputs.iter().filter(|o| o.contains("wrote cdb:")).count(),
        1,
        "{outputs:?}"
    );
    assert_eq!(f.ok(&["query", &fa, &to]), "zeta\n");
    f.with_map(&["remove", "--name", "zeta", "--yes"]);
    f.ok(&["sync", "--from", &map, "--to", &to]);
    // Editing the copy edits the database it came from.
    f.ccert(&["--map", local.to_str().unwrap(), "add", a.to_str().unwrap()])
        .stderr_contains("is a copy kept by `ccert sync`; using pgsql:")
        .run();
    assert_eq!(
        f.pg.psql("mail", "SELECT name FROM ccert_clientcerts"),
        "zeta"
    );
    f.with_map(&["remove", "--name", "zeta", "--yes"]);
    f.ok(&["sync", "--from", &map, "--to", &to]);
    // lmdb too; a file not written by sync is never overwritten.
    let lm = format!("lmdb:{}", f.path("local/other").display());
    f.ok(&["sync", "--from", &map, "--to", &lm]);
    fs::write(f.path("local/mine"), "ab:cd mine\n").unwrap();
    let err = f.fails(&[
        "sync",
        "--from",
        &map,
        "--to",
        &format!("cdb:{}", f.path("local/mine").display()),
    ]);
    assert!(err.contains("not written by `ccert sync`"), "{err}");
    assert_eq!(
        fs::read_to_string(f.path("local/mine")).unwrap(),
        "ab:cd mine\n"
    );
    // Database down: sync fails, the local table stays.
    let mut f = f;
    f.pg.stop_server();
    let err = f.fails(&["sync", "--from", &map, "--to", &to]);
    assert!(
        err.contains(&f.cf.display().to_string()) && err.contains("cannot connect"),
        "{err}"
    );
    assert!(local.with_extension("cdb").exists());
}

/// Postfix's own cdb client reads the copy `ccert sync` wrote.
#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "postgresql"),
    ignore = "needs postfix and postgresql"
)]
fn postmap_reads_the_table_sync_wrote() {
    let test = "postmap_reads_the_table_sync_wrote";
    let Some(f) = Fleet::new(test) else {
        return;
    };
    let a = f.cert("zeta");
    f.with_map(&["add", a.to_str().unwrap()]);
    fs::create_dir(f.path("local")).unwrap();
    let to = format!("cdb:{}", f.path("local/clientcerts").display());
    f.ok(&["sync", "--from", &f.map(), "--to", &to]);
    let fa = fingerprint(&f, &a).to_lowercase();
    let postmap = oracle::require("postmap", test).unwrap();
    let conf = f.path("conf");
    assert_eq!(
        oracle::run_ok(&postmap, &["-c", conf.to_str().unwrap(), "-q", &fa, &to]),
        "zeta\n"
    );
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn failures_are_one_line_naming_the_cf() {
    let Some(mut f) = Fleet::new("failures_are_one_line_naming_the_cf") else {
        return;
    };
    let map = f.map();
    let cf = f.cf.display().to_string();
    // Wrong password.
    let good = fs::read_to_string(&f.cf).unwrap();
    fs::write(&f.cf, good.replace(pg::PASSWORD, "wrong-password")).unwrap();
    let err = f.fails(&["--map", &map, "list"]);
    assert!(err.contains(&cf) && err.contains("password"), "{err}");
    assert!(!err.contains("wrong-password"), "{err}");
    // A bad .cf line.
    fs::write(&f.cf, "hosts = db:notaport\ndbname = mail\n").unwrap();
    let err = f.fails(&["--map", &map, "list"]);
    assert!(
        err.contains(&format!("{cf}:1: hosts item 1 of 1:")),
        "{err}"
    );
    // No schema.
    fs::write(&f.cf, good.replace("dbname = mail", "dbname = postgres")).unwrap();
    let err = f.fails(&["--map", &map, "list"]);
    assert!(err.contains(&cf) && err.contains("ccert db init"), "{err}");
    // Refused connection.
    fs::write(&f.cf, &good).unwrap();
    f.pg.stop_server();
    let err = f.fails(&["--map", &map, "add", "/nonexistent.pem"]);
    assert!(
        err.contains("/nonexistent.pem"),
        "bad input is reported before connecting: {err}"
    );
    let a = fixtures().join("ecdsa.pem");
    let err = f.fails(&["--map", &map, "add", a.to_str().unwrap()]);
    assert!(
        err.contains(&cf) && err.contains("cannot connect") && err.contains("running"),
        "{err}"
    );
    // db init against a stopped server writes no .cf.
    let new_cf = f.path("conf/new.pgsql.cf");
    let hosts = f.pg.inet_host();
    let err = f.fails(&[
        "db",
        "init",
        &format!("pgsql:{}", new_cf.display()),
        "--hosts",
        &hosts,
        "--dbname",
        "mail",
        "--user",
        "ccert",
    ]);
    assert!(err.contains("new.pgsql.cf"), "{err}");
    assert!(!new_cf.exists());
}

#[test]
#[cfg_attr(
    any(ccert_missing = "postgresql", ccert_missing = "openssl"),
    ignore = "needs postgresql and openssl"
)]
fn tls_require_and_verify_full_through_the_uri() {
    let Some(openssl) = oracle::require("openssl", "tls_require_and_verify_full_through_the_uri")
    else {
        return;
    };
    let Some(mut f) = Fleet::new("tls_require_and_verify_full_through_the_uri") else {
        return;
    };
    let ca = f.pg.enable_tls(&openssl);
    let a = f.cert("eta");
    let port = f.pg.port;
    let pw = pg::PASSWORD;
    let mut added = false;
    for (host, query, ok) in [
        ("127.0.0.1", "sslmode=require".to_string(), true),
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={}", ca.display()),
            true,
        ),
        // The certificate names localhost and 127.0.0.1, not 127.0.0.2.
        (
            "127.0.0.2",
            format!("sslmode=verify-full&sslrootcert={}", ca.display()),
            false,
        ),
        (
            "127.0.0.2",
            format!("sslmode=verify-ca&sslrootcert={}", ca.display()),
            true,
        ),
    ] {
        fs::write(
            &f.cf,
            format!("hosts = postgresql://ccert:{pw}@{host}:{port}/mail?{query}\n"),
        )
        .unwrap();
        let add = f
            .ccert(&["--map", &f.map(), "add", a.to_str().unwrap()])
            .note(format!("{host} {query}"));
        if ok && added {
            // Connected again: the row from the first connection is there.
            add.stderr_contains(" is already in ")
                .stderr_contains(" as \"eta\"; nothing to do\n")
                .run();
        } else if ok {
            add.run();
            added = true;
        } else {
            add.status(1).stderr_contains("ccert: error: ").run();
        }
        let ssl =
            f.pg.psql("mail", "SELECT count(*) FROM pg_stat_ssl WHERE ssl");
        assert!(ssl.parse::<u32>().is_ok());
    }
    // A wrong CA: verify-full fails with one line; the password stays hidden.
    let other = fixtures().join("ca.pem");
    fs::write(
        &f.cf,
        format!(
            "hosts = postgresql://ccert:{pw}@localhost:{port}/mail?sslmode=verify-full&sslrootcert={}\n",
            other.display()
        ),
    )
    .unwrap();
    let err = f.fails(&["--map", &f.map(), "list"]);
    assert!(err.contains("ccert:***@localhost"), "{err}");
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn unix_socket_hosts_and_schema_migration() {
    let Some(f) = Fleet::new("unix_socket_hosts_and_schema_migration") else {
        return;
    };
    // A socket directory (Postfix: unix:/dir, default port; this cluster's
    // port comes through PGPORT, as libpq reads it).
    fs::write(
        &f.cf,
        format!(
            "hosts = unix:{}\nuser = ccert\ndbname = mail\n",
            f.pg.path("sock").display()
        ),
    )
    .unwrap();
    let port = f.pg.port.to_string();
    f.ccert(&["--map", &f.map(), "list", "--format", "plain"])
        .env("PGPORT", &port)
        .run();
    // Migration in place: a version-1 schema is brought to version 4 on first use.
    f.pg.psql(
        "mail",
        "DROP INDEX ccert_clientcerts_name; UPDATE ccert_state SET schema_version = 1",
    );
    f.ccert(&["--map", &f.map(), "list"])
        .env("PGPORT", &port)
        .run();
    assert_eq!(
        f.pg.psql("mail", "SELECT schema_version FROM ccert_state"),
        "4"
    );
    assert_eq!(
        f.pg.psql(
            "mail",
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ccert_clientcerts_name'"
        ),
        "1"
    );
    // A newer schema is refused.
    f.pg.psql("mail", "UPDATE ccert_state SET schema_version = 99");
    f.ccert(&["--map", &f.map(), "list"])
        .env("PGPORT", &port)
        .status(1)
        .stderr_contains("upgrade ccert")
        .run();
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn doctor_checks_pgsql_tables() {
    let Some(mut f) = Fleet::new("doctor_checks_pgsql_tables") else {
        return;
    };
    let a = f.cert("theta");
    f.with_map(&["add", a.to_str().unwrap()]);
    fs::write(
        f.path("conf/main.cf"),
        format!("relay_clientcerts = proxy:{}\n", f.map()),
    )
    .unwrap();
    let text = f.doctor();
    assert!(text.contains("proxy_read_maps does not list it"), "{text}");
    assert!(text.contains("the database answers"), "{text}");
    assert!(
        !text.contains("query does not") && !text.contains(pg::PASSWORD),
        "{text}"
    );
    // proxymap (the postfix user) cannot read a 0600 root-owned file.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 && group_id("postfix").is_some() {
        fs::set_permissions(&f.cf, fs::Permissions::from_mode(0o600)).unwrap();
        let text = f.doctor();
        assert!(text.contains("proxymap runs as the postfix user"), "{text}");
        fs::set_permissions(&f.cf, fs::Permissions::from_mode(0o640)).unwrap();
        let text = f.doctor();
        assert!(
            !text.contains("proxymap runs as the postfix user"),
            "{text}"
        );
    }
    // World-readable, no expansion_limit, an unquoted %s.
    let good = fs::read_to_string(&f.cf).unwrap();
    fs::write(
        &f.cf,
        good.replace("expansion_limit = 1\n", "")
            .replace("'%s'", "%s"),
    )
    .unwrap();
    fs::set_permissions(&f.cf, fs::Permissions::from_mode(0o644)).unwrap();
    let text = f.doctor();
    assert!(text.contains("readable by every user"), "{text}");
    assert!(text.contains("expansion_limit is not 1"), "{text}");
    assert!(text.contains("does not use '%s'"), "{text}");
    // postgres:// URIs need Postfix 3.10.
    fs::write(
        &f.cf,
        format!(
            "hosts = postgres://ccert:{}@127.0.0.1:{}/mail\nquery = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'\nexpansion_limit = 1\n",
            pg::PASSWORD,
            f.pg.port
        ),
    )
    .unwrap();
    let text = f.doctor();
    assert!(
        text.contains("only for Postfix 3.10") && text.contains("the database answers"),
        "{text}"
    );
    assert!(!text.contains(pg::PASSWORD), "{text}");
    // Down: Postfix's answer is explained.
    fs::write(&f.cf, &good).unwrap();
    f.pg.stop_server();
    let text = f.doctor();
    assert!(
        text.contains("cannot connect") && text.contains("451"),
        "{text}"
    );
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn concurrent_editors_lose_nothing() {
    let Some(f) = Fleet::new("concurrent_editors_lose_nothing") else {
        return;
    };
    // 2 × 8 processes: 8 add a certificate each while 8 remove one added before.
    let keep: Vec<PathBuf> = (0..8).map(|i| f.cert(&format!("keep{i}"))).collect();
    let gone: Vec<PathBuf> = (0..8).map(|i| f.cert(&format!("gone{i}"))).collect();
    let map = f.map();
    let mut args: Vec<&str> = vec!["--map", &map, "add"];
    args.extend(gone.iter().map(|p| p.to_str().unwrap()));
    f.ok(&args);
    let mut children = Vec::new();
    for i in 0..8 {
        children.push(
            f.ccert(&["--map", &map, "add", keep[i].to_str().unwrap()])
                .spawn(),
        );
        children.push(
            f.ccert(&["--map", &map, "remove", gone[i].to_str().unwrap(), "--yes"])
                .stderr_contains(format!(
                    " matches the fingerprints of {}:\n",
                    gone[i].display()
                ))
                .spawn(),
        );
    }
    for c in children {
        c.wait();
    }
    let names = f.pg.psql(
        "mail",
        "SELECT string_agg(name, ' ' ORDER BY name) FROM ccert_clientcerts",
    );
    let want: Vec<String> = (0..8).map(|i| format!("keep{i}")).collect();
    assert_eq!(names, want.join(" "));
}

/// `ccert apply` on a pgsql: list: one transaction, exit 2 then 0, --check
/// changes nothing, rows no client names are removed, a bad file changes
/// nothing.
#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn apply_makes_the_pgsql_list_match_the_file() {
    let Some(f) = Fleet::new("apply_makes_the_pgsql_list_match_the_file") else {
        return;
    };
    let a = f.cert("alpha");
    let b = f.cert("beta");
    let fa = fingerprint(&f, &a);
    let fb = fingerprint(&f, &b);
    let desired = f.path("clients.toml");
    fs::write(
        &desired,
        format!(
            "[[client]]\nname = \"alpha\"\ncertificate = \"{}\"\n\n[[client]]\nname = \"beta\"\ncertificate = \"{}\"\n",
            a.display(),
            b.display()
        ),
    )
    .unwrap();
    let map = f.map();
    let apply = |extra: &[&str]| {
        let mut args = vec!["--map", map.as_str(), "apply", "--format", "json"];
        args.extend_from_slice(extra);
        args.push(desired.to_str().unwrap());
        f.ccert(&args)
    };
    let rows = || {
        f.pg.psql(
            "mail",
            "SELECT string_agg(name, ',' ORDER BY name) FROM ccert_clientcerts",
        )
    };
    let generation = || f.pg.psql("mail", "SELECT generation FROM ccert_state");

    let check = apply(&["--check"]).status(2).run();
    let json: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    assert_eq!(
        json["added"].as_array().unwrap().len(),
        2,
        "{}",
        check.stdout
    );
    assert_eq!(rows(), "");
    let run = apply(&[]).status(2).run();
    assert!(
        run.stdout.contains(&fa) && run.stdout.contains(&fb),
        "{}",
        run.stdout
    );
    assert_eq!(rows(), "alpha,beta");
    let gen_after = generation();
    apply(&[])
        .stdout("{\n  \"changed\": false,\n  \"added\": [],\n  \"removed\": [],\n  \"renamed\": []\n}\n")
        .run();
    assert_eq!(
        generation(),
        gen_after,
        "an unchanged apply must not bump the generation"
    );

    // beta renamed, alpha gone.
    fs::write(
        &desired,
        format!(
            "[[client]]\nname = \"gamma\"\ncertificate = \"{}\"\n",
            b.display()
        ),
    )
    .unwrap();
    let run = apply(&["--diff"]).status(2).run();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["removed"][0]["name"], "alpha");
    assert_eq!(json["renamed"][0]["to"], "gamma");
    assert!(
        json["diff"].as_str().unwrap().contains(" gamma\n"),
        "{}",
        run.stdout
    );
    assert_eq!(rows(), "gamma");

    // A bad file: one error naming the entry; the list untouched.
    fs::write(
        &desired,
        "[[client]]\nname = \"x\"\ncertificate = \"/nonexistent.pem\"\n",
    )
    .unwrap();
    let err = f.fails(&["--map", &map, "apply", desired.to_str().unwrap()]);
    assert!(
        err.contains("clients.toml: [[client]] 1 (\"x\"): "),
        "{err}"
    );
    assert_eq!(rows(), "gamma");
}

/// A list longer than one laid-out table (2000 rows) is streamed by
/// `list --format table` in chunks with fixed widths, by `--format json`
/// as an array, and by `check` (its JSON spooled): every row is there,
/// the table reads as one, and a hand-written hostile row stays escaped.
#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn large_lists_stream_in_table_json_and_check() {
    let Some(f) = Fleet::new("large_lists_stream_in_table_json_and_check") else {
        return;
    };
    let n = 4500;
    f.pg.psql(
        "mail",
        &format!(
            "INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by, not_after) \
             SELECT 'ab:' || lpad(i::text, 6, '0'), 'host' || lpad(i::text, 5, '0'), 'sha256', \
                    'cert', 'psql', now() + interval '400 days' \
             FROM generate_series(1, {n}) i; \
             INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) \
             VALUES (E'zz:\\x1b[31m', E'zzz-evil\\u202egpj.exe', 'sha512', 'pubkey', 'psql')"
        ),
    );
    let map = f.map();
    for columns in ["80", "200"] {
        let table = f.stdout(f.ccert(&["--map", &map, "list"]).env("COLUMNS", columns));
        let width: usize = columns.parse().unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(table.matches("FINGERPRINT").count(), 1, "COLUMNS={columns}");
        for line in &lines {
            assert!(line.chars().count() <= width, "COLUMNS={columns}: {line:?}");
        }
        for i in [1, 2000, 2001, 4500] {
            assert_eq!(
                table.matches(&format!("host{i:05}")).count(),
                1,
                "COLUMNS={columns}: host{i:05}"
            );
        }
        // Chunks join without a doubled rule, and every NAME starts in the
        // same column.
        let rule = |l: &str| l.trim().chars().all(|c| c == '─');
        assert!(lines.windows(2).all(|w| !(rule(w[0]) && rule(w[1]))));
        let starts: std::collections::HashSet<usize> = lines
            .iter()
            .filter_map(|l| l.find("host").map(|b| l[..b].chars().count()))
            .collect();
        assert_eq!(starts.len(), 1, "COLUMNS={columns}: {starts:?}");
        assert!(!table.contains('\u{1b}') && !table.contains('\u{202e}'));
        let tail: Vec<&str> = lines.iter().rev().take(8).rev().copied().collect();
        assert!(
            table.contains("zzz-evil")
                && (columns == "80" || table.contains("zzz-evil\\u{202E}gpj.exe")),
            "COLUMNS={columns}:\n{}",
            tail.join("\n")
        );
    }
    let json = f.ok(&["--map", &map, "list", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = doc.as_array().unwrap();
    assert_eq!(rows.len(), n + 1);
    assert_eq!(rows[0]["name"], "host00001");
    assert_eq!(rows[n]["fingerprint"], "zz:\u{1b}[31m");
    assert_eq!(rows[n]["pubkey"], true);
    // check: streamed rows, the certificates array spooled.
    let out = f.stdout(
        f.ccert(&["--map", &map, "check", "--format", "json"])
            .status(0),
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["status"], "OK");
    assert_eq!(doc["entries"], n + 1);
    assert_eq!(doc["without_expiry"], 1);
    let certs = doc["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), n + 1);
    assert_eq!(certs[n - 1]["name"], "host04500");
    let out = f.stdout(
        f.ccert(&["--map", &map, "check", "--format", "prometheus"])
            .status(0),
    );
    assert_eq!(
        out.matches("ccert_certificate_not_after_seconds{").count(),
        n
    );
    assert!(out.contains(&format!("ccert_entries{{list=\"{map}\"}} {}", n + 1)));
}

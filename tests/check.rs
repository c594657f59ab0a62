//! `ccert check`: the monitoring plugin's exit codes and first line in each
//! state, the Prometheus exposition read by the Prometheus project's own
//! Python parser, the textfile written atomically, and a `pgsql:` list.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::oracle;
use crate::pg::{self, Cluster};
use crate::test::{Test, fixtures};

/// A scratch Postfix configuration whose relay_clientcerts is a cdb table.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let s = Self { dir };
        fs::write(
            s.path("main.cf"),
            format!(
                "compatibility_level = 3.6\nrelay_clientcerts = cdb:{}\n",
                s.path("clientcerts").display()
            ),
        )
        .unwrap();
        oracle::settle(s.dir.path());
        s
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `ccert -c DIR ARGS` without postconf, any exit status; the
    /// status, standard output and standard error.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let done = Test::at(self.dir.path())
            .config_dir(self.dir.path())
            .env("CCERT_POSTCONF", "none")
            .args(args)
            .status_among(&[0, 1, 2, 3])
            .any_stderr()
            .run();
        (done.status, done.stdout, done.stderr)
    }

    fn ok(&self, args: &[&str]) {
        let (status, _, stderr) = self.run(args);
        assert_eq!(status, 0, "{args:?}: {stderr}");
    }

    /// Issues a certificate valid for `days` and adds it as `name`.
    fn add_issued(&self, name: &str, days: u32) {
        self.ok(&[
            "issue",
            name,
            "--days",
            &days.to_string(),
            "--out",
            self.dir.path().to_str().unwrap(),
        ]);
        let pem = self.path(&format!("{name}.pem"));
        self.ok(&["add", pem.to_str().unwrap(), "--name", name]);
    }

    /// `ccert check ARGS`: exit code and standard output.
    fn check(&self, args: &[&str]) -> (i32, String) {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        let (status, stdout, _) = self.run(&all);
        (status, stdout)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn each_state_has_the_plugin_exit_code_and_first_line() {
    let s = Setup::new();
    // An empty list is fine.
    s.ok(&[
        "add",
        "--fingerprint",
        &["AB"; 32].join(":"),
        "--name",
        "byfp",
    ]);
    let (code, out) = s.check(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("CCERT OK - 1 entry in "), "{out}");
    assert!(out.contains("1 entry without a recorded expiry"), "{out}");

    s.add_issued("far", 400);
    let (code, out) = s.check(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("soonest expiry far in 399 days"), "{out}");
    assert!(out.contains("| entries=2;;;0 expired=0;;;0"), "{out}");

    s.add_issued("soon", 20);
    let (code, out) = s.check(&["--warning", "30", "--critical", "7"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("CCERT WARNING - 1 certificate expiring soon |"),
        "{out}"
    );
    assert!(out.contains("\nexpiring: soon (19 days)"), "{out}");
    // The same certificate within --critical.
    let (code, out) = s.check(&["--warning", "60", "--critical", "25"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("CCERT CRITICAL - "), "{out}");

    // An expired certificate still relays (fingerprint matching ignores expiry).
    let expired = fixtures().join("expired.pem");
    s.ok(&["add", expired.to_str().unwrap(), "--name", "gone"]);
    let (code, out) = s.check(&[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("CCERT CRITICAL - 1 expired certificate still listed (fingerprint matching ignores expiry"),
        "{out}"
    );
    assert!(out.contains("\nexpired: gone\n"), "{out}");
    assert_eq!(
        out.lines().next().unwrap().matches(" | ").count(),
        1,
        "{out}"
    );

    // Thresholds the wrong way round, and an unreadable list: UNKNOWN.
    let (code, out) = s.check(&["--warning", "3", "--critical", "9"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.starts_with("CCERT UNKNOWN - --critical 9"), "{out}");
    let (code, out) = s.check(&["--warning", "30"]);
    assert_eq!(code, 2, "{out}");
    let missing = s.path("nothing-here");
    let (status, stdout, _) = s.run(&["--map", missing.to_str().unwrap(), "check"]);
    assert_eq!(status, 3);
    assert!(stdout.starts_with("CCERT UNKNOWN - reading the clientcerts source"));
}

#[test]
fn a_stale_or_missing_table_is_critical() {
    let s = Setup::new();
    s.add_issued("far", 400);
    assert_eq!(s.check(&[]).0, 0);
    // The source edited by hand after the table was built: Postfix still
    // answers from the table.
    let source = s.path("clientcerts");
    let mut text = fs::read_to_string(&source).unwrap();
    text.push_str("# edited by hand\n");
    fs::write(&source, text).unwrap();
    // The table was built a minute before the edit.
    let earlier = SystemTime::now() - Duration::from_secs(60);
    fs::File::options()
        .append(true)
        .open(s.path("clientcerts.cdb"))
        .unwrap()
        .set_modified(earlier)
        .unwrap();
    let (code, out) = s.check(&[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("is older than its source (run ccert compile)"),
        "{out}"
    );
    assert!(out.contains("stale_tables=1;;;0"), "{out}");
    fs::remove_file(s.path("clientcerts.cdb")).unwrap();
    let (code, out) = s.check(&[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("clientcerts is missing (run ccert compile)"),
        "{out}"
    );
    s.ok(&["compile"]);
    assert_eq!(s.check(&[]).0, 0);
}

#[test]
fn hostile_names_cannot_forge_a_status_line_or_perfdata() {
    let s = Setup::new();
    let expired = fixtures().join("expired.pem");
    s.ok(&["add", expired.to_str().unwrap(), "--name", "x|evil=1"]);
    let (code, out) = s.check(&[]);
    assert_eq!(code, 2);
    let first = out.lines().next().unwrap();
    assert_eq!(first.matches('|').count(), 1, "{first}");
}

/// Parses an exposition with the Prometheus project's Python parser and
/// returns `name{labels} value` lines.
fn parse_with_prometheus_client(exposition: &str, test: &str) -> String {
    let python = oracle::require("python3", test).unwrap();
    let probe = Command::new(&python)
        .args(["-c", "import prometheus_client.parser"])
        .output()
        .unwrap();
    // The test is ignored where build.rs found no prometheus_client; one
    // that runs without it lacks that ignore (or the module went away).
    assert!(
        probe.status.success(),
        "{test}: the Python module prometheus_client is not installed \
         (pip install prometheus-client); the test needs \
         #[cfg_attr(ccert_missing = \"prometheus-client\", ignore = \"needs prometheus-client\")]"
    );
    let script = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\n\
for f in p(sys.stdin.read()):\n    for s in f.samples:\n        print(f.type, s.name, sorted(s.labels.items()), s.value)\n";
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused the exposition: {}\n{exposition}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
#[cfg_attr(
    any(ccert_missing = "prometheus-client", ccert_missing = "python3"),
    ignore = "needs prometheus-client and python3"
)]
fn the_prometheus_exposition_parses_and_the_textfile_is_replaced_atomically() {
    let s = Setup::new();
    s.add_issued("far", 400);
    let expired = fixtures().join("expired.pem");
    s.ok(&[
        "add",
        expired.to_str().unwrap(),
        "--name",
        "quote\"back\\slash",
    ]);
    let (code, out) = s.check(&["--format", "prometheus"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("# TYPE ccert_certificate_not_after_seconds gauge\n"),
        "{out}"
    );
    assert!(out.contains(",name=\"quote\\\"back\\\\slash\","), "{out}");
    assert!(out.contains("\nccert_check_status{"), "{out}");
    {
        let parsed = parse_with_prometheus_client(&out, "prometheus_exposition");
        assert!(
            parsed.contains("gauge ccert_certificate_not_after_seconds")
                && parsed.contains("1609459200.0"),
            "{parsed}"
        );
        assert!(
            parsed.contains("('name', 'quote\"back\\\\slash')"),
            "{parsed}"
        );
        assert!(parsed.contains("gauge ccert_table_up_to_date"), "{parsed}");
        assert!(
            parsed.contains("gauge ccert_check_status") && parsed.contains(" 2.0"),
            "{parsed}"
        );
    }

    let textdir = s.path("textfile");
    fs::create_dir(&textdir).unwrap();
    let (code, printed) = s.check(&[
        "--format",
        "prometheus",
        "--textfile",
        textdir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert_eq!(printed, "", "the exposition goes to the file only");
    let written = fs::read_to_string(textdir.join("ccert.prom")).unwrap();
    assert!(written.contains("ccert_certificates_expired{"), "{written}");
    let names: Vec<_> = fs::read_dir(&textdir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temp file left: {names:?}");
    // A directory that is not there: UNKNOWN, said on standard error.
    let out = s.run(&[
        "check",
        "--format",
        "prometheus",
        "--textfile",
        s.path("nope").to_str().unwrap(),
    ]);
    assert_eq!(out.0, 3);
    assert!(out.2.starts_with("ccert: error: "), "{}", out.2);
}

#[test]
fn json_for_scripts() {
    let s = Setup::new();
    s.add_issued("soon", 20);
    let (code, out) = s.check(&["--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["status"], "WARNING");
    assert_eq!(doc["exit"], 1);
    assert_eq!(doc["entries"], 1);
    assert_eq!(doc["certificates"][0]["name"], "soon");
    assert_eq!(doc["tables"][0]["state"], "current");
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn a_pgsql_list_is_checked_in_the_database() {
    let Some(pg) = Cluster::start("check_pgsql_list") else {
        return;
    };
    let s = Setup::new();
    let cf = s.path("clientcerts.pgsql.cf");
    let map = format!("pgsql:{}", cf.display());
    let pw = s.path("pw");
    fs::write(&pw, format!("{}\n", pg::PASSWORD)).unwrap();
    let hosts = pg.inet_host();
    let run = |args: &[&str]| {
        let mut all = vec!["--map", map.as_str()];
        all.extend_from_slice(args);
        s.run(&all)
    };
    let (status, _, stderr) = s.run(&[
        "db",
        "init",
        &map,
        "--hosts",
        &hosts,
        "--dbname",
        "mail",
        "--user",
        "ccert",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{stderr}");
    let expired = fixtures().join("expired.pem");
    let (status, _, stderr) = run(&["add", expired.to_str().unwrap(), "--name", "gone"]);
    assert_eq!(status, 0, "{stderr}");
    let (status, stdout, stderr) = run(&["check"]);
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("CCERT CRITICAL - 1 expired certificate still listed"),
        "{stdout}"
    );
    assert!(!stdout.contains(pg::PASSWORD) && !stderr.contains(pg::PASSWORD));
    // The database down: UNKNOWN, not an error exit.
    drop(pg);
    let (status, stdout, _) = run(&["check"]);
    assert_eq!(status, 3, "{stdout}");
    assert!(stdout.starts_with("CCERT UNKNOWN - "), "{stdout}");
}

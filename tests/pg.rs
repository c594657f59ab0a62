//! A throwaway PostgreSQL cluster for the pgsql: tests.
//!
//! ```ignore
//! let Some(pg) = pg::Cluster::start("my_test") else { return };
//! let cf = pg.write_cf(dir, "clientcerts.pgsql.cf", pg.inet_host());
//! ```
//!
//! `initdb` in a temp dir (run as the `postgres` user when the tests run as
//! root, which initdb refuses to be), a private unix socket directory and
//! 127.0.0.1 (and 127.0.0.2, for host-name checks) on a free port, password (SCRAM) authentication over TCP and
//! trust on the socket. [`Drop`] stops the server (`pg_ctl -m immediate`),
//! also when the test fails. A test that starts one carries
//! `#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]`;
//! without the server programs it fails (tests/oracle.rs `require`).

#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::oracle;

/// The password of the `ccert` database user the tests connect as.
pub const PASSWORD: &str = "Pg-s3cret-for-tests";

/// A running throwaway cluster.
pub struct Cluster {
    root: tempfile::TempDir,
    bin: PathBuf,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    running: bool,
    as_postgres: bool,
}

/// The directory of the server programs (initdb, pg_ctl): where build.rs
/// found them; a test that runs without them fails (oracle::require).
fn find_bin(test: &str) -> PathBuf {
    oracle::require("initdb", test).unwrap();
    // Debian's programs are in /usr/lib/postgresql/N/bin (psql too); a
    // pg_ctl on PATH may be a link to there.
    let pg_ctl = oracle::require("pg_ctl", test).unwrap();
    let pg_ctl = fs::canonicalize(&pg_ctl).unwrap_or(pg_ctl);
    pg_ctl.parent().unwrap().to_path_buf()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl Cluster {
    /// Starts a cluster, or returns `None` after printing why `test` is
    /// skipped: only when the tests run as root and there is no `postgres`
    /// user (initdb refuses root); missing programs fail the test.
    pub fn start(test: &str) -> Option<Cluster> {
        let bin = find_bin(test);
        let as_postgres = is_root();
        if as_postgres
            && !Command::new("id")
                .args(["-u", "postgres"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        {
            if oracle::interop_required() {
                panic!("{test}: CCERT_INTEROP=1 but there is no `postgres` user to run initdb as");
            }
            eprintln!("skipping {test}: running as root and there is no `postgres` user");
            return None;
        }
        let root = tempfile::Builder::new()
            .prefix("ccert-pg")
            .tempdir()
            .unwrap();
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cluster = Cluster {
            root,
            bin,
            port,
            running: false,
            as_postgres,
        };
        for d in ["data", "sock"] {
            fs::create_dir(cluster.path(d)).unwrap();
            cluster.give_to_postgres(&cluster.path(d));
        }
        let pwfile = cluster.path("pwfile");
        fs::write(&pwfile, format!("{PASSWORD}\n")).unwrap();
        cluster.give_to_postgres(&pwfile);
        let data = cluster.path("data");
        cluster.run_ok(&[
            "initdb",
            "-D",
            data.to_str().unwrap(),
            "-U",
            "ccert",
            "--pwfile",
            pwfile.to_str().unwrap(),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        // The ccert database user is the superuser of this throwaway cluster.
        cluster.start_server();
        cluster.psql("postgres", "CREATE DATABASE mail");
        Some(cluster)
    }

    /// Starts (or restarts) the server.
    pub fn start_server(&mut self) {
        let data = self.path("data");
        let log = self.path("sock/server.log");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1,127.0.0.2 -c fsync=off",
            self.port,
            self.path("sock").display()
        );
        self.running = true;
        self.run_ok(&[
            "pg_ctl",
            "-D",
            data.to_str().unwrap(),
            "-l",
            log.to_str().unwrap(),
            "-o",
            &opts,
            "-w",
            "start",
        ]);
    }

    /// Stops the server (immediate mode: nothing here needs a clean shutdown).
    pub fn stop_server(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let data = self.path("data");
        let out = self.run(&[
            "pg_ctl",
            "-D",
            data.to_str().unwrap(),
            "-m",
            "immediate",
            "-w",
            "stop",
        ]);
        if !out.status.success() {
            eprintln!("pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
        }
    }

    /// A path in the cluster's directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn give_to_postgres(&self, path: &Path) {
        if self.as_postgres {
            let status = Command::new("chown")
                .arg("postgres:")
                .arg(path)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let tool = self.bin.join(args[0]);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(tool);
            c
        } else {
            Command::new(tool)
        };
        cmd.args(&args[1..])
            .current_dir(self.root.path())
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("running {args:?}: {e}"))
    }

    fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}\n{}{}\n--- server log\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            fs::read_to_string(self.path("sock/server.log")).unwrap_or_default()
        );
        out
    }

    /// Runs SQL through psql on the socket; returns unaligned, tuples-only output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let sock = self.path("sock");
        let port = self.port.to_string();
        let out = self.run_ok(&[
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            sock.to_str().unwrap(),
            "-p",
            &port,
            "-U",
            "ccert",
            "-d",
            db,
            "-c",
            sql,
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs a client tool of the server's release (pg_dump, pg_restore)
    /// as the cluster's user; asserts success, returns standard output.
    pub fn tool(&self, args: &[&str]) -> String {
        let out = self.run_ok(args);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `-h SOCKET -p PORT -U ccert`: how client tools reach the cluster.
    pub fn socket_args(&self) -> Vec<String> {
        vec![
            "-h".into(),
            self.path("sock").display().to_string(),
            "-p".into(),
            self.port.to_string(),
            "-U".into(),
            "ccert".into(),
        ]
    }

    /// The path of a server binary (psql for benchmarks).
    pub fn bin(&self, tool: &str) -> PathBuf {
        self.bin.join(tool)
    }

    /// `hosts` for TCP: `inet:127.0.0.1:PORT`.
    pub fn inet_host(&self) -> String {
        format!("inet:127.0.0.1:{}", self.port)
    }

    /// A pgsql_table(5) file for database `mail` as user ccert, with `hosts`.
    pub fn cf_text(&self, hosts: &str) -> String {
        format!(
            "hosts = {hosts}\nuser = ccert\npassword = {PASSWORD}\ndbname = mail\n\
             query = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'\n\
             expansion_limit = 1\n"
        )
    }

    /// Turns TLS on with a server certificate for localhost/127.0.0.1
    /// issued by a throwaway CA (made with openssl) and restarts; returns the CA's PEM path.
    pub fn enable_tls(&mut self, openssl: &Path) -> PathBuf {
        let crt = self.path("data/server.crt");
        let key = self.path("data/server.key");
        let ca = self.path("ca.pem");
        let ca_key = self.path("ca.key");
        let csr = self.path("server.csr");
        let ext = self.path("server.ext");
        fs::write(
            &ext,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let openssl_ok = |args: &[&std::ffi::OsStr]| {
            let out = Command::new(openssl).args(args).output().unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let os = |s: &str| std::ffi::OsString::from(s);
        let mut a: Vec<std::ffi::OsString> = vec![
            os("req"),
            os("-x509"),
            os("-days"),
            os("30"),
            os("-subj"),
            os("/CN=ccert test CA"),
        ];
        a.extend(ec.iter().map(|s| os(s)));
        a.extend([
            os("-keyout"),
            ca_key.clone().into(),
            os("-out"),
            ca.clone().into(),
        ]);
        openssl_ok(&a.iter().map(|s| s.as_os_str()).collect::<Vec<_>>());
        let mut a: Vec<std::ffi::OsString> =
            vec![os("req"), os("-new"), os("-subj"), os("/CN=localhost")];
        a.extend(ec.iter().map(|s| os(s)));
        a.extend([
            os("-keyout"),
            key.clone().into(),
            os("-out"),
            csr.clone().into(),
        ]);
        openssl_ok(&a.iter().map(|s| s.as_os_str()).collect::<Vec<_>>());
        let a: Vec<std::ffi::OsString> = vec![
            os("x509"),
            os("-req"),
            os("-days"),
            os("30"),
            os("-in"),
            csr.into(),
            os("-CA"),
            ca.clone().into(),
            os("-CAkey"),
            ca_key.into(),
            os("-set_serial"),
            os("2"),
            os("-extfile"),
            ext.into(),
            os("-out"),
            crt.clone().into(),
        ];
        openssl_ok(&a.iter().map(|s| s.as_os_str()).collect::<Vec<_>>());
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
        self.give_to_postgres(&key);
        self.give_to_postgres(&crt);
        let conf = self.path("data/postgresql.conf");
        let mut text = fs::read_to_string(&conf).unwrap();
        text.push_str("\nssl = on\n");
        fs::write(&conf, text).unwrap();
        self.stop_server();
        self.start_server();
        ca
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_server();
    }
}

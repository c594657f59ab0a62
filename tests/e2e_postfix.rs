//! End-to-end proof against a running Postfix.
//!
//! A throwaway Postfix instance listens on loopback with one submission-like
//! smtpd per table type (hash, lmdb, cdb, sqlite), each with
//! `permit_tls_clientcerts, reject` and its own `relay_clientcerts` table.
//! The tables are built only by ccert. A real TLS client (swaks) then shows,
//! for every table type, that a listed certificate may relay, that an unlisted
//! certificate and no certificate may not, that a public-key entry works (also
//! for a renewed certificate with the same key), and that after `ccert remove`
//! the running Postfix refuses the removed certificate. Finally `ccert doctor`
//! must pass on the instance's configuration.
//!
//! Needs root (Postfix's master runs as root), the `postfix` user, and the
//! postfix, swaks and openssl tools; skips with a printed reason otherwise,
//! unless `CCERT_INTEROP=1`. Certificates are made with openssl at test time.
//!
//! Facts this relies on (checked on Debian 12, Postfix 3.7.11):
//! - `postfix -c DIR start` run by root accepts any configuration directory;
//!   `alternate_config_directories` only matters for set-gid commands run by
//!   other users. No /etc/postfix/main.cf is needed.
//! - `postfix start` creates the queue subdirectories and the data_directory
//!   (owned by `postfix`); the log directory (maillog_file_prefixes) and the
//!   queue directory itself must exist, and every directory above them must
//!   be traversable by `postfix`. With the log directory missing, `postfix
//!   start` fails silently (exit 1, nothing printed).
//! - `postfix start` returns once the master listens; `postfix stop` returns
//!   at once, the master exits shortly after.
//! - After the tables change, hash/lmdb/cdb tables (replaced by rename) make
//!   a running smtpd log "table … has changed -- restarting"; the sqlite
//!   table is updated in place and the running smtpd sees the new rows on its
//!   next query. A sqlite file replaced by rename is NOT seen by a running
//!   smtpd (checked by hand: it kept admitting a removed certificate until
//!   `postfix reload`).

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::oracle;
use crate::test::ccert_bin;

const TEST: &str = "e2e_postfix";

/// The table types, one smtpd listener each.
const TYPES: [&str; 4] = ["hash", "lmdb", "cdb", "sqlite"];

/// The tools the test drives.
struct Tools {
    postfix: PathBuf,
    swaks: PathBuf,
    openssl: PathBuf,
}

/// The tools, or `None` after printing why the test is skipped (a failure
/// instead when `CCERT_INTEROP=1`).
fn tools() -> Option<Tools> {
    let postfix = oracle::require("postfix", TEST)?;
    let swaks = oracle::require("swaks", TEST)?;
    let openssl = oracle::require("openssl", TEST)?;
    // SAFETY: geteuid has no preconditions.
    let problem = if unsafe { libc::geteuid() } != 0 {
        Some("it must run as root to start a Postfix instance")
    } else if !Command::new("id")
        .args(["-u", "postfix"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        Some("there is no `postfix` user")
    } else {
        None
    };
    if let Some(why) = problem {
        if oracle::interop_required() {
            panic!("{TEST}: CCERT_INTEROP=1 but {why}");
        }
        eprintln!("skipping {TEST}: {why} (set CCERT_INTEROP=1 to make this a failure)");
        return None;
    }
    Some(Tools {
        postfix,
        swaks,
        openssl,
    })
}

/// A client identity: certificate and key files.
struct Client {
    cert: PathBuf,
    key: PathBuf,
}

/// Runs `cmd` and returns its output; panics when it cannot start.
fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// Runs `cmd` and panics with its output unless it succeeds.
fn run_ok(cmd: &mut Command) -> Output {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Creates a self-signed certificate and key `<dir>/<name>.pem|.key`.
fn make_cert(openssl: &Path, dir: &Path, name: &str, key_alg: &[&str]) -> Client {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    run_ok(
        Command::new(openssl)
            .args(["req", "-x509", "-nodes", "-days", "365", "-newkey"])
            .args(key_alg)
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .args(["-subj", &format!("/CN={name}.example")]),
    );
    Client { cert, key }
}

/// Four distinct free loopback ports (held open together so they differ).
fn free_ports() -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..TYPES.len())
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("binding a loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// A throwaway Postfix instance; [`Drop`] always stops it.
struct Instance {
    root: tempfile::TempDir,
    postfix: PathBuf,
    /// (table type, port) of each smtpd listener.
    listeners: Vec<(&'static str, u16)>,
    running: bool,
}

impl Instance {
    /// Lays out the directories and writes main.cf and master.cf.
    fn create(postfix: &Path) -> Instance {
        let root = tempfile::Builder::new()
            .prefix("ccert-e2e")
            .tempdir()
            .expect("tempdir");
        // Postfix daemons run as `postfix` and must traverse every directory
        // above the queue, data and configuration directories.
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        for dir in root.path().ancestors().skip(1) {
            let mode = fs::metadata(dir).unwrap().permissions().mode();
            assert!(
                mode & 0o001 != 0,
                "{TEST}: {} (mode {mode:o}) is not traversable by the postfix user; \
                 set TMPDIR to a directory every user can enter, such as /tmp",
                dir.display()
            );
        }
        for dir in ["conf", "queue", "log", "certs"] {
            let d = root.path().join(dir);
            fs::create_dir(&d).unwrap();
            fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let listeners: Vec<(&'static str, u16)> = TYPES.iter().copied().zip(free_ports()).collect();
        let inst = Instance {
            root,
            postfix: postfix.to_path_buf(),
            listeners,
            running: false,
        };
        inst.write_config();
        inst
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// The instance's configuration directory (for `-c`).
    fn conf(&self) -> PathBuf {
        self.path("conf")
    }

    /// The clientcerts source file every table is compiled from.
    fn source(&self) -> PathBuf {
        self.path("conf/clientcerts")
    }

    /// The `relay_clientcerts` value for one table type.
    fn table(&self, map_type: &str) -> String {
        let source = self.source();
        match map_type {
            "sqlite" => format!("sqlite:{}.sqlite.cf", source.display()),
            t => format!("{t}:{}", source.display()),
        }
    }

    fn write_config(&self) {
        let d = self.root.path().display();
        // The relay settings are global (so a reader of main.cf alone sees a
        // complete setup) and repeated per listener, as in a submission entry.
        let main_cf = format!(
            "# Throwaway instance written by the ccert end-to-end test.\n\
             compatibility_level = 3.6\n\
             queue_directory = {d}/queue\n\
             data_directory = {d}/data\n\
             maillog_file = {d}/log/postfix.log\n\
             maillog_file_prefixes = {d}/log\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             myhostname = ccert-e2e.test\n\
             mydomain = ccert-e2e.test\n\
             myorigin = $myhostname\n\
             mydestination =\n\
             inet_interfaces = loopback-only\n\
             inet_protocols = ipv4\n\
             mynetworks = 127.0.0.0/8\n\
             alias_maps =\n\
             alias_database =\n\
             default_transport = discard\n\
             relay_transport = discard\n\
             smtpd_tls_cert_file = {d}/certs/server.pem\n\
             smtpd_tls_key_file = {d}/certs/server.key\n\
             smtpd_tls_security_level = encrypt\n\
             smtpd_tls_ask_ccert = yes\n\
             smtpd_tls_fingerprint_digest = sha256\n\
             smtpd_tls_loglevel = 1\n\
             smtpd_relay_restrictions = permit_tls_clientcerts, reject\n\
             relay_clientcerts = {}\n",
            self.table("hash")
        );
        let mut master_cf =
            String::from("# service type private unpriv chroot wakeup maxproc command\n");
        // Service names are bare ports, as in a real submission entry: the
        // listeners bind to inet_interfaces (loopback-only, IPv4), i.e.
        // 127.0.0.1. (`ccert doctor` treats services *named* 127.x as
        // content-filter re-injection and would not check them.)
        for (map_type, port) in &self.listeners {
            master_cf.push_str(&format!(
                "{port} inet n - n - - smtpd\n  \
                 -o syslog_name=postfix/{map_type}\n  \
                 -o smtpd_tls_security_level=encrypt\n  \
                 -o smtpd_tls_ask_ccert=yes\n  \
                 -o smtpd_relay_restrictions=permit_tls_clientcerts,reject\n  \
                 -o relay_clientcerts={}\n",
                self.table(map_type)
            ));
        }
        // The internal services, without chroot (column 5 = n).
        master_cf.push_str(
            "pickup unix n - n 60 1 pickup\n\
             cleanup unix n - n - 0 cleanup\n\
             qmgr unix n - n 300 1 qmgr\n\
             tlsmgr unix - - n 1000? 1 tlsmgr\n\
             rewrite unix - - n - - trivial-rewrite\n\
             bounce unix - - n - 0 bounce\n\
             defer unix - - n - 0 bounce\n\
             trace unix - - n - 0 bounce\n\
             verify unix - - n - 1 verify\n\
             flush unix n - n 1000? 0 flush\n\
             proxymap unix - - n - - proxymap\n\
             proxywrite unix - - n - 1 proxymap\n\
             smtp unix - - n - - smtp\n\
             relay unix - - n - - smtp\n\
             showq unix n - n - - showq\n\
             error unix - - n - - error\n\
             retry unix - - n - - error\n\
             discard unix - - n - - discard\n\
             anvil unix - - n - 1 anvil\n\
             scache unix - - n - 1 scache\n\
             postlog unix-dgram n - n - 1 postlogd\n",
        );
        fs::write(self.path("conf/main.cf"), main_cf).unwrap();
        fs::write(self.path("conf/master.cf"), master_cf).unwrap();
    }

    fn postfix_cmd(&self, action: &str) -> Output {
        output(
            Command::new(&self.postfix)
                .arg("-c")
                .arg(self.conf())
                .arg(action)
                .env_remove("MAIL_CONFIG"),
        )
    }

    /// The Postfix log so far (for failure messages).
    fn log(&self) -> String {
        fs::read_to_string(self.path("log/postfix.log")).unwrap_or_default()
    }

    /// Starts Postfix and waits (bounded) until every listener accepts.
    fn start(&mut self) {
        // Marked running first: a half-started master must still be stopped.
        self.running = true;
        let out = self.postfix_cmd("start");
        assert!(
            out.status.success(),
            "postfix start failed: {}\n{}{}\n--- log\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        for (map_type, port) in &self.listeners {
            let ready = (0..50).any(|_| {
                let ok = TcpStream::connect_timeout(
                    &([127, 0, 0, 1], *port).into(),
                    Duration::from_secs(1),
                )
                .is_ok();
                if !ok {
                    std::thread::sleep(Duration::from_millis(100));
                }
                ok
            });
            assert!(
                ready,
                "the {map_type} listener on port {port} never accepted\n--- log\n{}",
                self.log()
            );
        }
    }

    /// The master's process id, from the instance's pid file.
    fn master_pid(&self) -> Option<libc::pid_t> {
        fs::read_to_string(self.path("queue/pid/master.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Whether `pid` is a live (not zombie) process.
    fn alive(pid: libc::pid_t) -> bool {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => !stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
            // Without /proc, ask the kernel whether the pid exists.
            // SAFETY: signal 0 only checks; pid is this instance's master.
            Err(_) => (unsafe { libc::kill(pid, 0) }) == 0,
        }
    }

    /// Waits (bounded, about 5 s) for `pid` to exit.
    fn wait_gone(pid: libc::pid_t) -> bool {
        for _ in 0..50 {
            if !Self::alive(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        !Self::alive(pid)
    }

    /// Stops the instance: `postfix stop`, then `postfix abort`, then SIGKILL
    /// to this instance's master (by its own pid file) as a last resort.
    fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let pid = self.master_pid();
        self.postfix_cmd("stop");
        let Some(pid) = pid else { return };
        if Self::wait_gone(pid) {
            return;
        }
        eprintln!("{TEST}: postfix stop left master {pid} running; trying postfix abort");
        self.postfix_cmd("abort");
        if Self::wait_gone(pid) {
            return;
        }
        eprintln!("{TEST}: killing master {pid}");
        // SAFETY: plain syscall; pid comes from this instance's own pid file.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        Self::wait_gone(pid);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The SMTP reply to RCPT TO, as swaks saw it.
struct Reply {
    /// The reply code, 0 when the dialogue never reached RCPT.
    code: u16,
    /// The whole transcript, for failure messages.
    transcript: String,
}

/// Talks to `port` with STARTTLS (and the client certificate, if any) and
/// stops after RCPT TO a remote domain, which needs relay permission.
fn rcpt(swaks: &Path, port: u16, client: Option<&Client>) -> Reply {
    let mut cmd = Command::new(swaks);
    cmd.args(["--server", "127.0.0.1", "--port", &port.to_string()])
        .args(["--tls", "--helo", "client.example", "--timeout", "15"])
        .args(["--from", "sender@client.example"])
        .args(["--to", "user@remote.example", "--quit-after", "RCPT"]);
    if let Some(c) = client {
        cmd.arg("--tls-cert").arg(&c.cert);
        cmd.arg("--tls-key").arg(&c.key);
    }
    let out = output(&mut cmd);
    let transcript = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The first server line after " ~> RCPT TO:" ("<~  250 …" or "<~* 554 …").
    let code = transcript
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("~> RCPT TO:"))
        .skip(1)
        .find(|l| l.starts_with("<~"))
        .and_then(|l| l.trim_start_matches(['<', '~', '*', ' ']).get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Reply { code, transcript }
}

/// Runs `ccert -c <instance config dir> ARGS` and returns its output,
/// panicking (with the Postfix log) unless it succeeds.
fn ccert(inst: &Instance, args: &[&str]) -> Output {
    let out = output(
        Command::new(ccert_bin())
            .arg("-c")
            .arg(inst.conf())
            .args(args)
            .env_remove("MAIL_CONFIG")
            .stdin(Stdio::null()),
    );
    assert!(
        out.status.success(),
        "ccert {args:?} failed: {}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Compiles the source file into all four table types with `ccert compile`.
fn compile_all(inst: &Instance) {
    let source = inst.source();
    let maps: Vec<String> = TYPES
        .iter()
        .map(|t| format!("{t}:{}", source.display()))
        .collect();
    let mut args = vec!["compile"];
    args.extend(maps.iter().map(String::as_str));
    ccert(inst, &args);
}

#[test]
fn e2e_postfix() {
    let Some(tools) = tools() else { return };
    let mut inst = Instance::create(&tools.postfix);
    let certs = inst.path("certs");
    let ec = ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    make_cert(&tools.openssl, &certs, "server", &ec);
    let listed = make_cert(&tools.openssl, &certs, "listed", &ec);
    let unlisted = make_cert(&tools.openssl, &certs, "unlisted", &ec);
    let pk = make_cert(&tools.openssl, &certs, "pk", &["rsa:2048"]);
    // A renewed certificate for the same key: another certificate
    // fingerprint, the same public-key fingerprint.
    let renewed = Client {
        cert: certs.join("pk-renewed.pem"),
        key: pk.key.clone(),
    };
    run_ok(
        Command::new(&tools.openssl)
            .args(["req", "-x509", "-new", "-days", "400", "-set_serial", "2"])
            .args(["-subj", "/CN=pk.example", "-key"])
            .arg(&pk.key)
            .arg("-out")
            .arg(&renewed.cert),
    );

    // The source file is written only by `ccert add`, the tables only by
    // `ccert compile` and the rebuild that add/remove do (no postmap).
    let path = |c: &Client| c.cert.to_str().unwrap().to_string();
    ccert(&inst, &["add", &path(&listed), "--name", "listed"]);
    compile_all(&inst);
    // The tables exist now, so this add rebuilds all four: the public-key
    // checks below fail unless it did.
    ccert(&inst, &["add", "--pubkey", &path(&pk), "--name", "pk"]);

    inst.start();

    let expect = |inst: &Instance, who: &str, client: Option<&Client>, code: u16| {
        for (map_type, port) in &inst.listeners {
            let reply = rcpt(&tools.swaks, *port, client);
            assert_eq!(
                reply.code,
                code,
                "{map_type}: {who} got the wrong RCPT reply\n{}\n--- log\n{}",
                reply.transcript,
                inst.log()
            );
        }
    };
    // 1. A listed certificate may relay.
    expect(&inst, "the listed certificate", Some(&listed), 250);
    // 2. An unlisted certificate and no certificate may not.
    expect(&inst, "an unlisted certificate", Some(&unlisted), 554);
    expect(&inst, "a client without certificate", None, 554);
    // 3. A public-key entry admits the certificate and its renewal.
    expect(&inst, "the public-key-listed certificate", Some(&pk), 250);
    expect(
        &inst,
        "the renewed public-key-listed certificate",
        Some(&renewed),
        250,
    );

    // 4. After removal the running Postfix refuses the certificate.
    ccert(&inst, &["remove", &path(&listed), "--yes"]);
    for (map_type, port) in &inst.listeners {
        // An smtpd that already waits for the next client may serve one more
        // session from the old table before it notices the change: retry a
        // few times (bounded).
        let mut reply = rcpt(&tools.swaks, *port, Some(&listed));
        let mut sessions = 1;
        while reply.code == 250 && sessions < 6 {
            std::thread::sleep(Duration::from_millis(300));
            reply = rcpt(&tools.swaks, *port, Some(&listed));
            sessions += 1;
        }
        eprintln!(
            "{TEST}: {map_type}: RCPT reply {} in session {sessions} after the removal",
            reply.code
        );
        assert_eq!(
            reply.code,
            554,
            "{map_type}: the removed certificate is still admitted\n{}\n--- log\n{}",
            reply.transcript,
            inst.log()
        );
    }
    // The remaining entry still works: the table was updated, not broken.
    expect(&inst, "the public-key-listed certificate", Some(&pk), 250);

    let log = inst.log();
    // How the daemons noticed: a replaced hash/lmdb/cdb file makes smtpd log
    // "table … has changed -- restarting"; sqlite is updated in place.
    for line in log.lines().filter(|l| l.contains("has changed")) {
        eprintln!("{TEST}: postfix log: {line}");
    }
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" fatal: ") || l.contains(" panic: "))
        .collect();
    assert!(bad.is_empty(), "Postfix logged errors:\n{}", bad.join("\n"));

    // 5. The doctor finds nothing wrong with this instance's configuration.
    let doctor = ccert(&inst, &["doctor"]);
    eprintln!(
        "{TEST}: ccert doctor:\n{}",
        String::from_utf8_lossy(&doctor.stdout)
    );

    inst.stop();
}

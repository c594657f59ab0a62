//! A throwaway Postfix instance on loopback, shared by every live-server test.
//!
//! ```ignore
//! let Some(tools) = live::tools("my_test") else { return };
//! let mut inst = live::Instance::new(&tools, "my_test");
//! let port = inst.listener("hash", &inst.table("hash"), &[]);
//! inst.start();
//! assert_eq!(live::rcpt(&tools.swaks, port, Some(&client)).code, 250);
//! ```
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
//!
//! Every instance is stopped by [`Drop`], also when the test fails.
//!
//! An instance can also run the Postfix of a Debian chroot (the version
//! matrix, tests/matrix.rs): [`Instance::in_chroot`] puts its root under the
//! chroot's /tmp and runs `postfix` and `ccert` as `chroot DIR …` with the
//! paths as seen inside. Clients (swaks) still connect from the host: the
//! chroot shares the host's loopback. No file system is mounted into the
//! chroot: Postfix 3.5 to 3.11 start and serve without /proc or /dev beyond
//! the device nodes debootstrap creates.

#![allow(dead_code)]

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::oracle;
use crate::test::{Test, ccert_bin};

/// The tools a live test drives.
pub struct Tools {
    /// `postfix`.
    pub postfix: PathBuf,
    /// `swaks`.
    pub swaks: PathBuf,
    /// `openssl`.
    pub openssl: PathBuf,
}

/// The tools, or `None` after printing why `test` is skipped (a failure
/// instead when `CCERT_INTEROP=1`). Also needs root and a `postfix` user.
pub fn tools(test: &str) -> Option<Tools> {
    let postfix = oracle::require("postfix", test)?;
    let swaks = oracle::require("swaks", test)?;
    let openssl = oracle::require("openssl", test)?;
    oracle::require_root(test);
    let problem = if !Command::new("id")
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
            panic!("{test}: CCERT_INTEROP=1 but {why}");
        }
        eprintln!("skipping {test}: {why} (set CCERT_INTEROP=1 to make this a failure)");
        return None;
    }
    Some(Tools {
        postfix,
        swaks,
        openssl,
    })
}

/// A client identity: certificate and key files.
#[derive(Debug, Clone)]
pub struct Client {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
}

/// Runs `cmd` and returns its output; panics when it cannot start.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// Runs `cmd` and panics with its output unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> Output {
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

/// The EC P-256 key option for [`make_cert`].
pub const EC: [&str; 3] = ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/// Creates a self-signed certificate and key `<dir>/<name>.pem|.key` with
/// openssl (`key_alg` as for `openssl req -newkey`, e.g. [`EC`] or `["rsa:2048"]`).
pub fn make_cert(openssl: &Path, dir: &Path, name: &str, key_alg: &[&str]) -> Client {
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

/// One smtpd listener of an [`Instance`].
#[derive(Debug, Clone)]
pub struct Listener {
    /// A label for messages and the syslog name (`postfix/<label>`).
    pub label: String,
    /// The loopback port.
    pub port: u16,
    /// Its `relay_clientcerts` value.
    pub relay_clientcerts: String,
    /// Further `name=value` overrides (`-o`) for this service.
    pub options: Vec<String>,
}

/// A throwaway Postfix instance; [`Drop`] always stops it.
pub struct Instance {
    root: tempfile::TempDir,
    postfix: PathBuf,
    test: String,
    /// The chroot the instance runs in (`None`: the host's Postfix).
    chroot: Option<PathBuf>,
    /// The ccert binary, as a path valid where it runs (inside the chroot).
    ccert: PathBuf,
    /// main.cf's `smtpd_tls_fingerprint_digest`; `None` leaves the release's
    /// own default in force.
    pub fingerprint_digest: Option<String>,
    /// The smtpd listeners, in the order they were added.
    pub listeners: Vec<Listener>,
    /// Extra main.cf lines, appended after the defaults (later lines win).
    pub main_extra: String,
    /// Ports reserved until the instance starts, so listeners get distinct ones.
    reserved: Vec<TcpListener>,
    running: bool,
}

impl Instance {
    /// Lays out the directories (conf, queue, log, certs) and a server
    /// certificate; listeners and settings are added before [`Instance::start`].
    pub fn new(tools: &Tools, test: &str) -> Instance {
        Self::build(tools, test, None, ccert_bin())
    }

    /// Like [`Instance::new`], but the instance runs the Postfix installed in
    /// the chroot `dir`, and [`Instance::ccert`] runs `ccert` (copied into the
    /// instance's root) inside it too.
    pub fn in_chroot(tools: &Tools, test: &str, dir: &Path, ccert: &Path) -> Instance {
        let mut inst = Self::build(tools, test, Some(dir), PathBuf::new());
        let bin = inst.path("bin/ccert");
        fs::create_dir_all(inst.path("bin")).unwrap();
        fs::copy(ccert, &bin)
            .unwrap_or_else(|e| panic!("copying {} into the chroot: {e}", ccert.display()));
        inst.ccert = inst.inside(&bin);
        inst.postfix = PathBuf::from("/usr/sbin/postfix");
        inst
    }

    fn build(tools: &Tools, test: &str, chroot: Option<&Path>, ccert: PathBuf) -> Instance {
        let mut builder = tempfile::Builder::new();
        builder.prefix("ccert-live");
        let root = match chroot {
            Some(dir) => builder.tempdir_in(dir.join("tmp")),
            None => builder.tempdir(),
        }
        .expect("tempdir");
        // Postfix daemons run as `postfix` and must traverse every directory
        // above the queue, data and configuration directories.
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        for dir in root.path().ancestors().skip(1) {
            let mode = fs::metadata(dir).unwrap().permissions().mode();
            assert!(
                mode & 0o001 != 0,
                "{test}: {} (mode {mode:o}) is not traversable by the postfix user; \
                 set TMPDIR to a directory every user can enter, such as /tmp",
                dir.display()
            );
        }
        for dir in ["conf", "queue", "log", "certs"] {
            let d = root.path().join(dir);
            fs::create_dir(&d).unwrap();
            fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let inst = Instance {
            root,
            postfix: tools.postfix.clone(),
            test: test.to_string(),
            chroot: chroot.map(Path::to_path_buf),
            ccert,
            fingerprint_digest: Some("sha256".to_string()),
            listeners: Vec::new(),
            main_extra: String::new(),
            reserved: Vec::new(),
            running: false,
        };
        make_cert(&tools.openssl, &inst.path("certs"), "server", &EC);
        inst
    }

    /// A path inside the instance's root directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// `host` (a path under the chroot) as Postfix and ccert see it inside
    /// the chroot; unchanged for an instance on the host.
    pub fn inside(&self, host: &Path) -> PathBuf {
        match &self.chroot {
            Some(dir) => Path::new("/").join(host.strip_prefix(dir).unwrap_or_else(|_| {
                panic!(
                    "{} is not inside the chroot {}",
                    host.display(),
                    dir.display()
                )
            })),
            None => host.to_path_buf(),
        }
    }

    /// A command that runs `program` where the instance runs: `chroot DIR
    /// program` for a chroot instance (`program` as found inside it).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        match &self.chroot {
            Some(dir) => {
                let mut cmd = Command::new("chroot");
                cmd.arg(dir).arg(program);
                cmd
            }
            None => Command::new(program),
        }
    }

    /// The instance's configuration directory (for `-c`).
    pub fn conf(&self) -> PathBuf {
        self.path("conf")
    }

    /// The default clientcerts source file (`conf/clientcerts`).
    pub fn source(&self) -> PathBuf {
        self.path("conf/clientcerts")
    }

    /// The `relay_clientcerts` value for a table of `map_type` built from
    /// [`Instance::source`] (for sqlite: its `.cf` file), with the path as
    /// Postfix sees it.
    pub fn table(&self, map_type: &str) -> String {
        let source = self.inside(&self.source());
        match map_type {
            "sqlite" => format!("sqlite:{}.sqlite.cf", source.display()),
            t => format!("{t}:{}", source.display()),
        }
    }

    /// Adds a submission-like smtpd listener on a free loopback port with
    /// `permit_tls_clientcerts, reject` and its own `relay_clientcerts`, plus
    /// `options` (`name=value`). Returns the port.
    pub fn listener(&mut self, label: &str, relay_clientcerts: &str, options: &[&str]) -> u16 {
        let reserve = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let port = reserve.local_addr().unwrap().port();
        self.reserved.push(reserve);
        self.listeners.push(Listener {
            label: label.to_string(),
            port,
            relay_clientcerts: relay_clientcerts.to_string(),
            options: options.iter().map(|o| o.to_string()).collect(),
        });
        port
    }

    /// Writes main.cf and master.cf (also called by [`Instance::start`]).
    pub fn write_config(&self) {
        let inside_root = self.inside(self.root.path());
        let d = inside_root.display();
        let digest = match &self.fingerprint_digest {
            Some(name) => format!("smtpd_tls_fingerprint_digest = {name}\n"),
            None => String::new(),
        };
        let relay = self
            .listeners
            .first()
            .map(|l| l.relay_clientcerts.clone())
            .unwrap_or_else(|| self.table("hash"));
        // The relay settings are global (so a reader of main.cf alone sees a
        // complete setup) and repeated per listener, as in a submission entry.
        let main_cf = format!(
            "# Throwaway instance written by a ccert live test.\n\
             compatibility_level = 3.6\n\
             queue_directory = {d}/queue\n\
             data_directory = {d}/data\n\
             maillog_file = {d}/log/postfix.log\n\
             maillog_file_prefixes = {d}/log\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             myhostname = ccert-live.test\n\
             mydomain = ccert-live.test\n\
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
             {digest}\
             smtpd_tls_loglevel = 1\n\
             smtpd_relay_restrictions = permit_tls_clientcerts, reject\n\
             relay_clientcerts = {relay}\n\
             {}",
            self.main_extra
        );
        let mut master_cf =
            String::from("# service type private unpriv chroot wakeup maxproc command\n");
        // Service names are bare ports, as in a real submission entry: the
        // listeners bind to inet_interfaces (loopback-only, IPv4), i.e. 127.0.0.1.
        for l in &self.listeners {
            master_cf.push_str(&format!(
                "{} inet n - n - - smtpd\n  \
                 -o syslog_name=postfix/{}\n  \
                 -o smtpd_tls_security_level=encrypt\n  \
                 -o smtpd_tls_ask_ccert=yes\n  \
                 -o smtpd_relay_restrictions=permit_tls_clientcerts,reject\n  \
                 -o relay_clientcerts={}\n",
                l.port, l.label, l.relay_clientcerts
            ));
            for o in &l.options {
                master_cf.push_str(&format!("  -o {o}\n"));
            }
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
        // Postfix would wait for just-written files to settle (oracle::settle).
        crate::oracle::settle(&self.conf());
    }

    /// Runs `postfix -c <conf> <action>`.
    pub fn postfix_cmd(&self, action: &str) -> Output {
        output(
            self.command(&self.postfix)
                .arg("-c")
                .arg(self.inside(&self.conf()))
                .arg(action)
                .env_remove("MAIL_CONFIG"),
        )
    }

    /// The Postfix log so far (for failure messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.path("log/postfix.log")).unwrap_or_default()
    }

    /// Log lines with a `fatal:`, `panic:` or `error:` from any daemon.
    pub fn log_errors(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(" fatal: ") || l.contains(" panic: ") || l.contains(" error: "))
            .map(str::to_string)
            .collect()
    }

    /// Writes the configuration, starts Postfix and waits (bounded) until
    /// every listener accepts.
    pub fn start(&mut self) {
        self.write_config();
        // Free the reserved ports for the master to bind.
        self.reserved.clear();
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
        for l in &self.listeners {
            let ready = (0..50).any(|_| {
                let ok = TcpStream::connect_timeout(
                    &([127, 0, 0, 1], l.port).into(),
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
                "the {} listener on port {} never accepted\n--- log\n{}",
                l.label,
                l.port,
                self.log()
            );
        }
    }

    /// Writes main.cf and master.cf as given, for a test that lays out its
    /// own services (the listeners of [`Instance::listener`] are not used).
    pub fn write_files(&self, main_cf: &str, master_cf: &str) {
        fs::write(self.path("conf/main.cf"), main_cf).unwrap();
        fs::write(self.path("conf/master.cf"), master_cf).unwrap();
        crate::oracle::settle(&self.conf());
    }

    /// Starts Postfix on the files as they are (see [`Instance::write_files`]);
    /// the caller waits for its own ports ([`wait_listening`]).
    pub fn start_as_written(&mut self) {
        self.reserved.clear();
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
    }

    /// `postfix reload`: the master re-reads both files, closes the
    /// listeners of removed services and opens the new ones.
    pub fn reload(&self) {
        crate::oracle::settle(&self.conf());
        let out = self.postfix_cmd("reload");
        assert!(
            out.status.success(),
            "postfix reload failed: {}\n{}\n--- log\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
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
    pub fn stop(&mut self) {
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
        eprintln!(
            "{}: postfix stop left master {pid} running; trying postfix abort",
            self.test
        );
        self.postfix_cmd("abort");
        if Self::wait_gone(pid) {
            return;
        }
        eprintln!("{}: killing master {pid}", self.test);
        // SAFETY: plain syscall; pid comes from this instance's own pid file.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        Self::wait_gone(pid);
    }

    /// What `add` and `remove` say on standard error after rebuilding the
    /// tables of `types` made from [`Instance::source`], in this order
    /// ("built" for a table that does not exist yet: call it before the run).
    pub fn rebuilt(&self, types: &[&str]) -> String {
        let source = self.inside(&self.source());
        types
            .iter()
            .map(|t| {
                let suffix = if *t == "hash" { "db" } else { t };
                let table = format!("{}.{suffix}", source.display());
                // A table that is not there yet is "built", as ccert says.
                let outside = format!("{}.{suffix}", self.source().display());
                let verb = if Path::new(&outside).exists() {
                    "rebuilt"
                } else {
                    "built"
                };
                format!("ccert: {verb} {table}\n")
            })
            .collect()
    }

    /// What `compile` and the editing commands say on standard error when
    /// they replace the sqlite database of [`Instance::source`] while this
    /// instance runs.
    pub fn sqlite_notice(&self) -> String {
        format!(
            "ccert: notice: {}.sqlite: running smtpd processes answer from the previous \
             database until they exit (max_use sessions or max_idle seconds); \
             `postfix reload` switches them now\n",
            self.inside(&self.source()).display()
        )
    }

    /// `ccert -c <conf> ARGS` where the instance runs (inside the chroot
    /// for a chroot instance, so path arguments must be
    /// [`Instance::inside`] paths); a failure shows the Postfix log.
    pub fn ccert(&self, args: &[&str]) -> Test {
        let test = Test::at(self.root.path())
            .no_config_dir()
            .arg("-c")
            .arg(self.inside(&self.conf()).to_str().unwrap())
            .args(args)
            .show_on_failure(self.path("log/postfix.log"));
        match &self.chroot {
            Some(dir) => test.in_chroot(dir, &self.ccert),
            None => test.program(&self.ccert),
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits (bounded, about 5 s) until `addr` accepts connections.
pub fn wait_listening(addr: std::net::SocketAddr) -> bool {
    (0..50).any(|_| {
        let ok = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok();
        if !ok {
            std::thread::sleep(Duration::from_millis(100));
        }
        ok
    })
}

/// The SMTP reply to RCPT TO, as swaks saw it.
pub struct Reply {
    /// The reply code, 0 when the dialogue never reached RCPT.
    pub code: u16,
    /// The whole transcript, for failure messages.
    pub transcript: String,
}

/// Talks to `port` with STARTTLS (and the client certificate, if any) and
/// stops after RCPT TO a remote domain, which needs relay permission.
pub fn rcpt(swaks: &Path, port: u16, client: Option<&Client>) -> Reply {
    rcpt_at(swaks, "127.0.0.1", port, client, 15)
}

/// [`rcpt`] to another loopback address, with a timeout in seconds for
/// each step of the dialogue.
pub fn rcpt_at(
    swaks: &Path,
    host: &str,
    port: u16,
    client: Option<&Client>,
    timeout: u32,
) -> Reply {
    let mut cmd = Command::new(swaks);
    cmd.args(["--server", host, "--port", &port.to_string()])
        .args(["--tls", "--helo", "client.example"])
        .args(["--timeout", &timeout.to_string()])
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

//! The members of the Postfix version matrix and how tests run things in them.
//!
//! A member is the host's Postfix (Debian 12, 3.7) or a Debian chroot built
//! and cached by `scripts/chroots` (bullseye 3.5, trixie 3.10, forky 3.11).
//! In a chroot, ccert is the portable release binary (`scripts/portable`,
//! glibc 2.28), run as `chroot DIR ccert …` so that it sees that release's
//! `postconf` and files; on the host it is the binary under test.
//!
//! Without root, debootstrap, the chroots or the portable binary, a test
//! prints why it is skipped, unless `CCERT_INTEROP=1`: then
//! `scripts/chroots` is run (a no-op while the cache is current) and anything
//! missing fails the test.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use crate::oracle;
use crate::test::{Test, ccert_bin};

/// The chroot suites of the matrix: Postfix 3.5, 3.10 and 3.11 (forky is
/// Debian testing in 2026).
pub const SUITES: [&str; 3] = ["bullseye", "trixie", "forky"];

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory the chroots are cached in (`scripts/chroots --print-dir`).
pub fn chroots_dir() -> PathBuf {
    std::env::var_os("CCERT_CHROOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/ccert/chroots"))
}

/// The portable binary of `scripts/portable` (or `CCERT_PORTABLE_BIN`).
pub fn portable_path() -> PathBuf {
    if let Some(p) = std::env::var_os("CCERT_PORTABLE_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/ccert -> target/x86_64-unknown-linux-gnu/release/ccert
    let target = ccert_bin()
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/")
        .to_path_buf();
    target.join("x86_64-unknown-linux-gnu/release/ccert")
}

/// Prints why `test` is skipped and returns `None`, or panics under
/// `CCERT_INTEROP=1`.
pub fn skip<T>(test: &str, why: &str) -> Option<T> {
    if oracle::interop_required() {
        panic!("{test}: CCERT_INTEROP=1 but {why}");
    }
    eprintln!("skipping {test}: {why} (set CCERT_INTEROP=1 to make this a failure)");
    None
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Builds the chroots once per test run under `CCERT_INTEROP=1`, otherwise
/// only checks the cache. `Err` says why they cannot be used.
fn chroots_ready() -> &'static Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY.get_or_init(|| {
        // chroot and debootstrap: the test's ignore names both.
        oracle::require_root("the Debian chroots");
        oracle::require("debootstrap", "the Debian chroots");
        let script = repo().join("scripts/chroots");
        let mut cmd = Command::new(&script);
        if !oracle::interop_required() {
            cmd.arg("--check");
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "scripts/chroots failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    })
}

/// The portable binary, or why it cannot be used.
pub fn portable(test: &str) -> Option<PathBuf> {
    let bin = portable_path();
    if bin.is_file() {
        Some(bin)
    } else {
        skip(
            test,
            &format!(
                "the portable binary {} is missing (build it with scripts/portable)",
                bin.display()
            ),
        )
    }
}

/// One Postfix of the matrix.
pub struct Member {
    /// The Debian suite (`bookworm` for the host).
    pub suite: String,
    /// The chroot directory, `None` for the host.
    pub chroot: Option<PathBuf>,
    /// The ccert binary to run there (a host path; copied into the chroot).
    pub ccert: PathBuf,
    /// Postfix's `mail_version` there.
    pub version: String,
}

/// The host's Postfix, or `None` after printing why `test` is skipped.
pub fn host(test: &str) -> Option<Member> {
    oracle::require("postconf", test)?;
    let mut member = Member {
        suite: "bookworm".into(),
        chroot: None,
        ccert: ccert_bin(),
        version: String::new(),
    };
    member.version = member.mail_version();
    Some(member)
}

/// The chroot of `suite`, or `None` after printing why `test` is skipped.
pub fn chroot(suite: &str, test: &str) -> Option<Member> {
    if let Err(why) = chroots_ready() {
        return skip(test, why);
    }
    let ccert = portable(test)?;
    let mut member = Member {
        suite: suite.into(),
        chroot: Some(chroots_dir().join(suite)),
        ccert,
        version: String::new(),
    };
    member.version = member.mail_version();
    Some(member)
}

/// A member by name: `host` or one of [`SUITES`].
pub fn member(name: &str, test: &str) -> Option<Member> {
    if name == "host" {
        host(test)
    } else {
        chroot(name, test)
    }
}

impl Member {
    /// "bullseye (Postfix 3.5.25)", for messages.
    pub fn label(&self) -> String {
        format!("{} (Postfix {})", self.suite, self.version)
    }

    /// `program` run inside the member (`chroot DIR program`).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = match &self.chroot {
            Some(dir) => {
                let mut c = Command::new("chroot");
                c.arg(dir).arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.env_remove("MAIL_CONFIG").stdin(Stdio::null());
        cmd
    }

    /// Runs `program ARGS` inside the member.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        let mut cmd = self.command(program);
        cmd.args(args);
        cmd.output()
            .unwrap_or_else(|e| panic!("{}: running {cmd:?}: {e}", self.label()))
    }

    /// Runs `program ARGS` inside the member with `input` on stdin.
    pub fn run_with_input(&self, program: &str, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut cmd = self.command(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{}: running {cmd:?}: {e}", self.label()));
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    }

    /// Runs `program ARGS` inside the member, panicking unless it succeeds;
    /// returns stdout.
    pub fn run_ok(&self, program: &str, args: &[&str]) -> String {
        let out = self.run(program, args);
        assert!(
            out.status.success(),
            "{}: {program} {args:?} failed: {}\n{}{}",
            self.label(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn mail_version(&self) -> String {
        self.run_ok("postconf", &["-d", "-h", "mail_version"])
            .trim()
            .to_string()
    }

    /// Postfix's (major, minor) release.
    pub fn release(&self) -> (u32, u32) {
        let mut parts = self.version.split('.').map(|p| p.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// `postconf -c CONF -x -h NAME`: the effective value there.
    pub fn postconf(&self, conf: &Scratch, name: &str) -> String {
        let conf = conf.inside("");
        self.run_ok(
            "postconf",
            &["-c", &conf.to_string_lossy(), "-x", "-h", name],
        )
        .trim()
        .to_string()
    }

    /// The map types this Postfix supports (`postconf -c CONF -m`).
    pub fn map_types(&self, conf: &Scratch) -> Vec<String> {
        self.run_ok("postconf", &["-c", &conf.arg(""), "-m"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// A scratch directory inside the member, with ccert copied into it.
    pub fn scratch(&self) -> Scratch<'_> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("ccert-matrix");
        let dir = match &self.chroot {
            Some(root) => builder.tempdir_in(root.join("tmp")),
            None => builder.tempdir(),
        }
        .expect("tempdir");
        // Postfix commands (postmap as root drops to the file owner; smtpd
        // runs as postfix) must enter it.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let mut scratch = Scratch {
            member: self,
            dir,
            ccert: PathBuf::new(),
        };
        scratch.ccert = match &self.chroot {
            Some(_) => {
                let bin = scratch.path("ccert");
                fs::copy(&self.ccert, &bin).unwrap_or_else(|e| {
                    panic!("copying {} into the chroot: {e}", self.ccert.display())
                });
                scratch.inside("ccert")
            }
            None => self.ccert.clone(),
        };
        scratch
    }
}

/// A temporary directory inside a member, used as a Postfix configuration
/// directory, with ccert to run there.
pub struct Scratch<'m> {
    member: &'m Member,
    dir: tempfile::TempDir,
    ccert: PathBuf,
}

impl Scratch<'_> {
    /// A path in the directory, as the host sees it.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A path in the directory, as programs inside the member see it.
    pub fn inside(&self, rel: &str) -> PathBuf {
        let host = self.path(rel);
        match &self.member.chroot {
            Some(root) => Path::new("/").join(host.strip_prefix(root).unwrap()),
            None => host,
        }
    }

    /// [`Scratch::inside`] as a string, for arguments.
    pub fn arg(&self, rel: &str) -> String {
        self.inside(rel).to_string_lossy().into_owned()
    }

    /// Writes a file in the directory.
    pub fn write(&self, rel: &str, contents: &str) {
        fs::write(self.path(rel), contents).unwrap();
        // A freshly written main.cf/master.cf would make every Postfix
        // command wait for it to settle.
        crate::oracle::settle(&self.path(""));
    }

    /// `ccert -c DIR ARGS` inside the member.
    pub fn ccert(&self, args: &[&str]) -> Test {
        let test = Test::at(self.dir.path())
            .no_config_dir()
            .note(self.member.label())
            .arg("-c")
            .arg(self.arg(""))
            .args(args);
        match &self.member.chroot {
            Some(root) => test.in_chroot(root, &self.ccert),
            None => test.program(&self.ccert),
        }
    }

    /// Runs [`Scratch::ccert`] expecting success and silence on standard
    /// error; returns stdout.
    pub fn ccert_ok(&self, args: &[&str]) -> String {
        self.ccert(args).run().stdout
    }

    /// Runs `postmap -c DIR ARGS` inside the member, panicking unless it
    /// succeeds; returns stdout.
    /// `postmap -c DIR -q - TABLE` with `keys` (one a line) on stdin: the
    /// `key value` lines of the keys found. Works for every map type (cdb has
    /// no `postmap -s` before 3.8).
    pub fn postmap_query_all(&self, table: &str, keys: &str) -> String {
        let conf = self.arg("");
        let out = self
            .member
            .run_with_input("postmap", &["-c", &conf, "-q", "-", table], keys);
        // Exit 1 only means some key was not found; the caller compares.
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}: postmap -q - {table} failed: {}\n{}",
            self.member.label(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn postmap_ok(&self, args: &[&str]) -> String {
        let conf = self.arg("");
        let mut all = vec!["-c", conf.as_str()];
        all.extend_from_slice(args);
        self.member.run_ok("postmap", &all)
    }
}

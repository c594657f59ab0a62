//! The one way integration tests run `ccert`: a strict fluent builder.
//!
//! ```ignore
//! Test::new()
//!     .file("clientcerts", "ab:cd host\n")
//!     .args(["list", "--format", "plain"])
//!     .stdout("ab:cd host\n")
//!     .run();
//! ```
//!
//! Strict by default: a run must exit 0 and write nothing to standard error.
//! A test that expects otherwise says so — `.status(1)`, `.signal(9)`,
//! `.stderr(…)`, `.stderr_contains(…)`, or `.any_stderr()` when what ccert
//! says there is not the point of the test.
//!
//! Every test runs ccert through this builder, also where it runs elsewhere
//! or otherwise: inside a Debian chroot ([`Test::in_chroot`]), under a
//! wrapper such as `setpriv` or `sh -c 'ulimit -v …'` ([`Test::wrapped`]), on
//! a pseudo-terminal ([`Test::pty`]), with a hang guard ([`Test::timeout`]),
//! or started and killed at a chosen moment ([`Test::spawn`], [`Running::kill`]).
//! `only_the_builder_starts_ccert` (tests/builder_only.rs) keeps every
//! other test file from starting the binary itself.

#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::os::fd::FromRawFd as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Path of the `ccert` binary under test.
pub fn ccert_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ccert"))
}

/// The repository's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The directory a run happens in: a scratch directory the builder owns, or
/// one the test manages itself ([`Test::at`]).
pub enum Scratch {
    /// A temporary directory, removed when the last owner drops it.
    Owned(tempfile::TempDir),
    /// A directory owned by the test.
    At(PathBuf),
}

impl Scratch {
    /// The directory's path.
    pub fn path(&self) -> &Path {
        match self {
            Self::Owned(dir) => dir.path(),
            Self::At(path) => path,
        }
    }
}

/// Where `MAIL_CONFIG` points for a run.
enum Config {
    /// `postfix-config/` in the scratch directory (created, settled).
    Scratch,
    /// A directory the test names (a path as ccert sees it).
    At(PathBuf),
    /// Unset: the test passes `-c` itself, or means the default.
    Unset,
}

/// What the run reads on standard input.
enum Input {
    /// /dev/null.
    Null,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// Each chunk after a pause, as a person types; end of file after
    /// a last, double pause.
    Typed(Vec<Vec<u8>>, Duration),
}

/// One `ccert` invocation with its expectations.
#[must_use = "a Test runs nothing until .run() or .spawn()"]
pub struct Test {
    dir: Scratch,
    args: Vec<String>,
    /// Variables set (`Some`) or removed (`None`), in the test's order.
    env: Vec<(String, Option<String>)>,
    stdin: Input,
    expected_status: i32,
    allowed_statuses: Vec<i32>,
    expected_stdout: Option<Vec<u8>>,
    expected_stderr: Option<String>,
    stdout_contains: Vec<String>,
    stderr_contains: Vec<String>,
    stderr_lacks: Vec<String>,
    any_stderr: bool,
    current_dir: Option<PathBuf>,
    wrapper: Vec<String>,
    program: PathBuf,
    config: Config,
    pty: bool,
    timeout: Option<Duration>,
    close_stdout: bool,
    close_stderr: bool,
    context_files: Vec<PathBuf>,
    note: String,
}

/// What a finished run produced.
pub struct Finished {
    /// The scratch directory (kept alive for follow-up checks).
    pub dir: Scratch,
    /// Standard output (lossily decoded; see `stdout_bytes`).
    pub stdout: String,
    /// Standard output as written.
    pub stdout_bytes: Vec<u8>,
    /// Standard error.
    pub stderr: String,
    /// Exit status code; `-N` when killed by signal N.
    pub status: i32,
}

impl Finished {
    /// Path of a file in the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Contents of a file in the scratch directory.
    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
    }

    /// Continues with another invocation in the same directory.
    pub fn then(self) -> Test {
        Test::in_dir(self.dir)
    }
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    /// A run in a fresh scratch directory, with `-c` pointing at an empty
    /// configuration directory inside it so the host's /etc/postfix never leaks in.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ccert-test")
            .tempdir()
            .expect("tempdir");
        Self::in_dir(Scratch::Owned(dir))
    }

    /// A run in a directory the test manages (its `postfix-config/`
    /// subdirectory is the default `-c`, as for [`Test::new`]).
    pub fn at(dir: &Path) -> Self {
        Self::in_dir(Scratch::At(dir.to_path_buf()))
    }

    fn in_dir(dir: Scratch) -> Self {
        Self {
            dir,
            args: Vec::new(),
            env: Vec::new(),
            stdin: Input::Null,
            expected_status: 0,
            allowed_statuses: Vec::new(),
            expected_stdout: None,
            expected_stderr: None,
            stdout_contains: Vec::new(),
            stderr_contains: Vec::new(),
            stderr_lacks: Vec::new(),
            any_stderr: false,
            current_dir: None,
            wrapper: Vec::new(),
            program: ccert_bin(),
            config: Config::Scratch,
            pty: false,
            timeout: None,
            close_stdout: false,
            close_stderr: false,
            context_files: Vec::new(),
            note: String::new(),
        }
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (parents created) into the scratch directory.
    pub fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, contents).unwrap();
        self
    }

    /// Copies a fixture into the scratch directory under the same name.
    pub fn fixture(self, name: &str) -> Self {
        let bytes =
            fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
        self.file(name, bytes)
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<str>) -> Self {
        self.args.push(arg.as_ref().to_string());
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: impl AsRef<str>) -> Self {
        self.env
            .push((key.to_string(), Some(value.as_ref().to_string())));
        self
    }

    /// Removes an environment variable the test process has.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.push((key.to_string(), None));
        self
    }

    /// Points `MAIL_CONFIG` at `dir` (as ccert sees it) instead of the
    /// scratch directory's `postfix-config/`.
    pub fn config_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config = Config::At(dir.into());
        self
    }

    /// Leaves `MAIL_CONFIG` unset (the test passes `-c`, or means the default).
    pub fn no_config_dir(mut self) -> Self {
        self.config = Config::Unset;
        self
    }

    /// Feeds standard input.
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = Input::Bytes(input.as_ref().to_vec());
        self
    }

    /// Types `keys` on standard input, one after each `pause` (for prompts
    /// that read one answer at a time), and closes it after two more pauses.
    pub fn stdin_typed<I, S>(mut self, keys: I, pause: Duration) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let keys = keys.into_iter().map(|k| k.as_ref().to_vec()).collect();
        self.stdin = Input::Typed(keys, pause);
        self
    }

    /// Expects this exit status (default 0).
    pub fn status(mut self, status: i32) -> Self {
        self.expected_status = status;
        self
    }

    /// Expects any one of these exit statuses (when the outcome legitimately
    /// varies, such as a lookup in a randomly damaged table: found, or a
    /// clean error). The test checks what it needs from [`Finished::status`].
    pub fn status_among(mut self, statuses: &[i32]) -> Self {
        self.allowed_statuses = statuses.to_vec();
        self
    }

    /// Expects death by `signal` (SIGPIPE on a closed pipe, …).
    pub fn signal(self, signal: i32) -> Self {
        self.status(-signal)
    }

    /// Expects exactly this standard output.
    pub fn stdout(mut self, out: impl AsRef<[u8]>) -> Self {
        self.expected_stdout = Some(out.as_ref().to_vec());
        self
    }

    /// Expects exactly this standard error.
    pub fn stderr(mut self, err: impl Into<String>) -> Self {
        self.expected_stderr = Some(err.into());
        self
    }

    /// Expects standard output to contain this text.
    pub fn stdout_contains(mut self, s: impl Into<String>) -> Self {
        self.stdout_contains.push(s.into());
        self
    }

    /// Expects standard error to contain this text (and allows anything else there).
    pub fn stderr_contains(mut self, s: impl Into<String>) -> Self {
        self.stderr_contains.push(s.into());
        self
    }

    /// Expects standard error not to contain this text (with
    /// [`Test::any_stderr`] or [`Test::stderr_contains`]).
    pub fn stderr_lacks(mut self, s: impl Into<String>) -> Self {
        self.stderr_lacks.push(s.into());
        self
    }

    /// Runs ccert through another program (`setpriv --reuid=…`, `chroot
    /// DIR`, `sh -c 'ulimit -v N; exec "$0" "$@"'`), which gets these
    /// arguments and then ccert's path and arguments.
    pub fn wrapped<I, S>(mut self, wrapper: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.wrapper = wrapper
            .into_iter()
            .map(|a| a.as_ref().to_string())
            .collect();
        self
    }

    /// Runs this ccert binary instead of the one under test (the portable
    /// build, or a copy's path as seen inside a chroot).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Runs `binary` (a path as seen inside the chroot) as `chroot ROOT
    /// binary …`. `MAIL_CONFIG` is left unset unless the test names a
    /// directory inside ([`Test::config_dir`]).
    pub fn in_chroot(self, root: &Path, binary: impl Into<PathBuf>) -> Self {
        let root = root.to_str().expect("a UTF-8 chroot path").to_string();
        self.wrapped(["chroot".to_string(), root])
            .program(binary)
            .no_config_dir()
    }

    /// Runs ccert on a pseudo-terminal (util-linux `script -qec`): standard
    /// input and both outputs are the terminal, so everything ccert writes
    /// arrives on [`Finished::stdout`] (with CR LF line ends).
    pub fn pty(mut self) -> Self {
        self.pty = true;
        self
    }

    /// Kills the run and fails the test when it has not finished within `limit`.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Closes the reading end of standard output at once, so each write
    /// ccert makes there fails (EPIPE, or SIGPIPE).
    pub fn close_stdout(mut self) -> Self {
        self.close_stdout = true;
        self
    }

    /// Closes the reading end of standard error at once (see [`Test::close_stdout`]).
    pub fn close_stderr(mut self) -> Self {
        self.close_stderr = true;
        self.any_stderr = true;
        self
    }

    /// Shows this file (a server log, …) in the failure message of this run.
    pub fn show_on_failure(mut self, path: impl Into<PathBuf>) -> Self {
        self.context_files.push(path.into());
        self
    }

    /// Says what this run is about in its failure message (the case of a
    /// test that loops over many).
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.note = text.into();
        self
    }

    /// Accepts whatever standard error holds (the default is: nothing).
    pub fn any_stderr(mut self) -> Self {
        self.any_stderr = true;
        self
    }

    /// Runs ccert in `dir` instead of the scratch directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// The command line: wrapper, program, arguments (or `script` running
    /// them as one quoted line for [`Test::pty`]).
    fn command(&self) -> Command {
        let mut line: Vec<String> = self.wrapper.clone();
        line.push(self.program.to_str().expect("a UTF-8 ccert path").into());
        line.extend(self.args.iter().cloned());
        if self.pty {
            let quoted: Vec<String> = line.iter().map(|w| shell_quote(w)).collect();
            line = vec![
                "script".into(),
                "-qec".into(),
                quoted.join(" "),
                "/dev/null".into(),
            ];
        }
        let mut cmd = Command::new(&line[0]);
        cmd.args(&line[1..]);
        cmd
    }

    /// Starts ccert and returns at once; [`Running::wait`] or
    /// [`Running::kill`] finishes the run and checks the expectations.
    pub fn spawn(self) -> Running {
        let mut cmd = self.command();
        match &self.config {
            Config::Scratch => {
                let confdir = self.dir.path().join("postfix-config");
                fs::create_dir_all(&confdir).unwrap();
                crate::oracle::settle(&confdir);
                cmd.env("MAIL_CONFIG", &confdir);
            }
            Config::At(dir) => {
                cmd.env("MAIL_CONFIG", dir);
            }
            Config::Unset => {
                cmd.env_remove("MAIL_CONFIG");
            }
        }
        cmd.current_dir(self.current_dir.as_deref().unwrap_or(self.dir.path()))
            .env_remove("CCERT_INTEROP")
            .env_remove("CCERT_PASSWORD")
            .stdin(match self.stdin {
                Input::Null => Stdio::null(),
                _ => Stdio::piped(),
            })
            .stdout(if self.close_stdout {
                closed_pipe()
            } else {
                Stdio::piped()
            })
            .stderr(if self.close_stderr {
                closed_pipe()
            } else {
                Stdio::piped()
            });
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
        // Input is fed and output drained from other threads: a large input
        // and a large output would otherwise block each other on full pipes,
        // and a run that is killed later must not be held up by its output.
        let feeder = match &self.stdin {
            Input::Null => None,
            Input::Bytes(input) => {
                let (mut pipe, input) = (child.stdin.take().unwrap(), input.clone());
                Some(std::thread::spawn(move || {
                    // ccert may stop reading early (it exits on an error):
                    // a broken pipe is then no failure of the test.
                    let _ = pipe.write_all(&input);
                }))
            }
            Input::Typed(keys, pause) => {
                let (mut pipe, keys, pause) = (child.stdin.take().unwrap(), keys.clone(), *pause);
                Some(std::thread::spawn(move || {
                    for key in keys {
                        std::thread::sleep(pause);
                        let _ = pipe.write_all(&key).and_then(|()| pipe.flush());
                    }
                    std::thread::sleep(pause * 2);
                }))
            }
        };
        let drain = |pipe: Option<Box<dyn Read + Send>>, close: bool| {
            let pipe = pipe.filter(|_| !close)?;
            Some(std::thread::spawn(move || {
                let mut pipe = pipe;
                let mut bytes = Vec::new();
                pipe.read_to_end(&mut bytes).unwrap();
                bytes
            }))
        };
        let stdout = child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>);
        let stdout = drain(stdout, self.close_stdout);
        let stderr = drain(stderr, self.close_stderr);
        Running {
            child,
            started: Instant::now(),
            feeder,
            stdout,
            stderr,
            test: self,
        }
    }

    /// Runs ccert and checks the expectations. A failed expectation is
    /// reported at the test's line (`#[track_caller]` down to the check).
    #[track_caller]
    pub fn run(self) -> Finished {
        self.spawn().wait()
    }
}

/// A started run ([`Test::spawn`]).
#[must_use = "a Running is checked only by .wait() or .kill()"]
pub struct Running {
    child: Child,
    started: Instant,
    feeder: Option<JoinHandle<()>>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    test: Test,
}

impl Running {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for ccert to exit (killing it and failing the test after the
    /// [`Test::timeout`], if any) and checks the expectations.
    #[track_caller]
    pub fn wait(mut self) -> Finished {
        let status = match self.test.timeout {
            None => self.child.wait().unwrap(),
            Some(limit) => loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    break status;
                }
                if self.started.elapsed() > limit {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("ccert {:?} hung (killed after {limit:?})", self.test.args);
                }
                std::thread::sleep(Duration::from_millis(5));
            },
        };
        self.finish(status)
    }

    /// SIGKILLs ccert. `None` when the kill ended it; when it had already
    /// exited by itself, that run is checked and returned.
    #[track_caller]
    pub fn kill(mut self) -> Option<Finished> {
        let _ = self.child.kill();
        let status = self.child.wait().unwrap();
        if status.signal() == Some(libc::SIGKILL) {
            self.collect();
            return None;
        }
        Some(self.finish(status))
    }

    /// Joins the helper threads: what ccert wrote on each output.
    fn collect(&mut self) -> (Vec<u8>, Vec<u8>) {
        if let Some(feeder) = self.feeder.take() {
            feeder.join().unwrap();
        }
        let out = self.stdout.take().map(|t| t.join().unwrap());
        let err = self.stderr.take().map(|t| t.join().unwrap());
        (out.unwrap_or_default(), err.unwrap_or_default())
    }

    #[track_caller]
    fn finish(mut self, status: ExitStatus) -> Finished {
        let (stdout_bytes, stderr) = self.collect();
        let test = self.test;
        let stdout = String::from_utf8_lossy(&stdout_bytes).into_owned();
        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        let code = status
            .code()
            .unwrap_or_else(|| -status.signal().unwrap_or(0));
        let show = || {
            let mut shown = format!(
                "{}{:?}\n--- status {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                if test.note.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", test.note)
                },
                test.command()
            );
            for file in &test.context_files {
                let text = fs::read(file).unwrap_or_default();
                shown += &format!("--- {}\n{}", file.display(), String::from_utf8_lossy(&text));
            }
            shown
        };
        // Whatever else the test expects: every error line says each fact once.
        for line in stderr.lines() {
            if let Some(repeated) = repeated_fact(line) {
                panic!("an error line says {repeated:?} twice\n{}", show());
            }
        }
        if test.allowed_statuses.is_empty() {
            assert_eq!(
                code,
                test.expected_status,
                "unexpected exit status\n{}",
                show()
            );
        } else {
            assert!(
                test.allowed_statuses.contains(&code),
                "exit status not among {:?}\n{}",
                test.allowed_statuses,
                show()
            );
        }
        if let Some(expected) = &test.expected_stdout {
            match std::str::from_utf8(expected) {
                Ok(text) => assert_eq!(stdout, text, "unexpected stdout\n{}", show()),
                Err(_) => assert!(&stdout_bytes == expected, "unexpected stdout\n{}", show()),
            }
        }
        if let Some(expected) = &test.expected_stderr {
            assert_eq!(&stderr, expected, "unexpected stderr\n{}", show());
        } else if test.stderr_contains.is_empty() && !test.any_stderr {
            assert!(
                stderr.is_empty(),
                "unexpected stderr (say .stderr_contains(…) or .any_stderr() if it is expected)\n{}",
                show()
            );
        }
        for s in &test.stdout_contains {
            assert!(
                stdout.contains(s.as_str()),
                "stdout lacks {s:?}\n{}",
                show()
            );
        }
        for s in &test.stderr_contains {
            assert!(
                stderr.contains(s.as_str()),
                "stderr lacks {s:?}\n{}",
                show()
            );
        }
        for s in &test.stderr_lacks {
            assert!(!stderr.contains(s.as_str()), "stderr has {s:?}\n{}", show());
        }
        Finished {
            dir: test.dir,
            stdout,
            stdout_bytes,
            stderr,
            status: code,
        }
    }
}

/// What `line`, when it is a `ccert: error: ` line, says twice: a
/// `: `-separated segment, or a file that a segment starts with (`FILE: …`,
/// `FILE:LINE: …`) which an earlier segment named already. Errors are one
/// line built from a chain of causes (`context: error: cause`); a layer that
/// repeats another's fact shows here. (A file named again inside a command
/// to run, `give the name: ccert add FILE --name NAME`, is no repeat.)
pub fn repeated_fact(line: &str) -> Option<String> {
    let line = line.strip_prefix("ccert: error: ")?;
    let segments: Vec<&str> = line.split(": ").map(str::trim).collect();
    let is_file = |word: &str| {
        word.contains('/')
            || word.split_once('.').is_some_and(|(stem, ext)| {
                !stem.is_empty() && ext.len() > 1 && ext.chars().all(|c| c.is_ascii_alphabetic())
            })
    };
    let mut named: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if !segment.is_empty() && segments[..i].contains(segment) {
            return Some(segment.to_string());
        }
        // `FILE:3` names FILE.
        let leading = segment
            .rsplit_once(':')
            .filter(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .map_or(*segment, |(file, _)| file);
        if i > 0 && !leading.contains(' ') && is_file(leading) && named.contains(&leading) {
            return Some(leading.to_string());
        }
        named.extend(
            segment
                .split_whitespace()
                .map(|w| {
                    w.trim_end_matches([':', ';', ',', ')', '.'])
                        .trim_start_matches('(')
                        .trim_matches(['`', '"', '\''])
                })
                .filter(|w| is_file(w)),
        );
    }
    None
}

#[test]
fn repeated_facts_are_found() {
    let bad = [
        "ccert: error: writing /etc/x: /etc/x: permission denied",
        "ccert: error: a: permission denied: permission denied",
        "ccert: error: rsa.pem: cannot read: rsa.pem: no such file or directory",
        "ccert: error: reading the source /etc/x (or --map): /etc/x:3: bad line",
    ];
    for line in bad {
        assert!(repeated_fact(line).is_some(), "{line}");
    }
    let good = [
        "ccert: error: /etc/x: cannot write: permission denied (run as root or as the owner of the file)",
        "ccert: error: hash:x was not compiled: x: no such file or directory",
        "ccert: warning: x: x: not an error line",
        "ccert: error: cannot create /a/b/c: directory /a/b does not exist",
        "ccert: error: nocn.pem: no CN; give the name yourself: ccert add nocn.pem --name NAME",
    ];
    for line in good {
        assert_eq!(repeated_fact(line), None, "{line}");
    }
}

/// `word` quoted for sh.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The writing end of a pipe whose reading end is already closed, so every
/// write ccert makes there fails (EPIPE, or SIGPIPE) from its first byte on,
/// however fast the run (closing the reading end after the spawn would race
/// a quick run that writes before the test closes it).
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 returns.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just returned by pipe2 and are owned here
    // only; the reading end is closed when its OwnedFd drops at once.
    let (read, write) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    drop(read);
    Stdio::from(write)
}

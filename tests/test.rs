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
//! A test that expects otherwise says so — `.status(1)`, `.stderr(…)`,
//! `.stderr_contains(…)`, or `.any_stderr()` when what ccert says there is
//! not the point of the test.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

/// One `ccert` invocation with its expectations.
pub struct Test {
    dir: Scratch,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    expected_status: i32,
    expected_stdout: Option<String>,
    expected_stderr: Option<String>,
    stdout_contains: Vec<String>,
    stderr_contains: Vec<String>,
    any_stderr: bool,
    current_dir: Option<PathBuf>,
    wrapper: Vec<String>,
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
    /// Exit status code.
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
            stdin: None,
            expected_status: 0,
            expected_stdout: None,
            expected_stderr: None,
            stdout_contains: Vec::new(),
            stderr_contains: Vec::new(),
            any_stderr: false,
            current_dir: None,
            wrapper: Vec::new(),
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
        self.env.push((key.to_string(), value.as_ref().to_string()));
        self
    }

    /// Feeds standard input.
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// Expects this exit status (default 0).
    pub fn status(mut self, status: i32) -> Self {
        self.expected_status = status;
        self
    }

    /// Expects exactly this standard output.
    pub fn stdout(mut self, out: impl Into<String>) -> Self {
        self.expected_stdout = Some(out.into());
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

    /// Expects standard error to contain this text.
    pub fn stderr_contains(mut self, s: impl Into<String>) -> Self {
        self.stderr_contains.push(s.into());
        self
    }

    /// Runs ccert through another program (`setpriv --reuid=…`), which
    /// gets these arguments and then ccert's path and arguments.
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

    /// Runs `ccert` in the scratch directory and checks the expectations.
    pub fn run(self) -> Finished {
        let mut cmd = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(ccert_bin());
                cmd
            }
            None => Command::new(ccert_bin()),
        };
        let confdir = self.dir.path().join("postfix-config");
        fs::create_dir_all(&confdir).unwrap();
        crate::oracle::settle(&confdir);
        cmd.current_dir(self.current_dir.as_deref().unwrap_or(self.dir.path()))
            .env("MAIL_CONFIG", &confdir)
            .env_remove("CCERT_INTEROP")
            .env_remove("CCERT_PASSWORD")
            .args(&self.args)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawning ccert");
        // Standard input is fed from another thread: a large input and a
        // large output would otherwise block each other on full pipes.
        let feeder = self.stdin.clone().map(|input| {
            let mut pipe = child.stdin.take().unwrap();
            std::thread::spawn(move || pipe.write_all(&input))
        });
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        if let Some(feeder) = feeder {
            // ccert may stop reading early (it exits on an error): a broken
            // pipe is then no failure of the test.
            let _ = feeder.join().unwrap();
        }
        let stdout_bytes = stdout;
        let stdout = String::from_utf8_lossy(&stdout_bytes).into_owned();
        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        let code = status.code().unwrap_or(-1);
        let show = || {
            format!(
                "ccert {:?}\n--- status {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                self.args
            )
        };
        assert_eq!(
            code,
            self.expected_status,
            "unexpected exit status\n{}",
            show()
        );
        if let Some(expected) = &self.expected_stdout {
            assert_eq!(&stdout, expected, "unexpected stdout\n{}", show());
        }
        if let Some(expected) = &self.expected_stderr {
            assert_eq!(&stderr, expected, "unexpected stderr\n{}", show());
        } else if self.stderr_contains.is_empty() && !self.any_stderr {
            assert!(
                stderr.is_empty(),
                "unexpected stderr (say .stderr_contains(…) or .any_stderr() if it is expected)\n{}",
                show()
            );
        }
        for s in &self.stdout_contains {
            assert!(
                stdout.contains(s.as_str()),
                "stdout lacks {s:?}\n{}",
                show()
            );
        }
        for s in &self.stderr_contains {
            assert!(
                stderr.contains(s.as_str()),
                "stderr lacks {s:?}\n{}",
                show()
            );
        }
        Finished {
            dir: self.dir,
            stdout,
            stdout_bytes,
            stderr,
            status: code,
        }
    }
}

//! Running a helper program (postconf, postmap) with a deadline and a
//! bound on what it prints.
//!
//! `Command::output` waits for ever and keeps all the output: a postconf on
//! a hung NFS configuration directory, or one that loops, would hold every
//! ccert command (and a monitoring check) with it. Here the child's output
//! is read by two threads that keep at most a fixed number of bytes each, and
//! the child is killed when the deadline passes. Postfix's own commands
//! answer in well under a second; they wait about 2 s on a main.cf changed
//! within the last second, so the deadline leaves room for that many times
//! over (docs/limits.md).

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a Postfix helper program may run.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// How much of each of its streams is kept: `postconf -d` prints about
/// 100 KiB, `postconf -P -x` grows with master.cf; 16 MiB is far beyond any
/// real configuration.
pub const MAX_OUTPUT: u64 = 16 << 20;

/// What a finished program left.
#[derive(Debug)]
pub struct Output {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output (at most the bound).
    pub stdout: Vec<u8>,
    /// Its standard error (at most the bound).
    pub stderr: Vec<u8>,
}

/// Why a program gave no output to use.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// It could not be started.
    #[error("cannot be run")]
    Spawn(#[source] std::io::Error),
    /// It ran past the deadline and was killed.
    #[error("did not finish within {} s and was stopped", .0.as_secs())]
    Deadline(Duration),
    /// It printed more than the bound on one stream.
    #[error("printed more than {} MiB and was stopped", .0 >> 20)]
    TooLong(u64),
    /// Waiting for it failed.
    #[error("waiting for it failed")]
    Wait(#[source] std::io::Error),
}

/// Reads at most `limit` bytes of a stream; `None` when it had more.
fn drain(stream: impl Read + Send + 'static, limit: u64) -> JoinHandle<Option<Vec<u8>>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut taken = stream.take(limit + 1);
        // A read error ends the stream; what was read is kept.
        let _ = taken.read_to_end(&mut kept);
        (kept.len() as u64 <= limit).then_some(kept)
    })
}

/// Runs `cmd` (standard input closed) and waits for it at most `deadline`,
/// keeping at most `limit` bytes of each output stream.
pub fn run(cmd: &mut Command, deadline: Duration, limit: u64) -> Result<Output, RunError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RunError::Spawn)?;
    let out = drain(child.stdout.take().expect("a piped stdout"), limit);
    let err = drain(child.stderr.take().expect("a piped stderr"), limit);
    let start = Instant::now();
    let status = wait(&mut child, deadline)?;
    // A finished child's pipes close, so both readers end; a grandchild that
    // kept a pipe open is waited for only until the deadline, then the
    // readers are abandoned and the output counts as unfinished.
    let collect = |h: JoinHandle<Option<Vec<u8>>>| {
        while !h.is_finished() {
            if start.elapsed() >= deadline {
                return Err(RunError::Deadline(deadline));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        h.join().unwrap_or(None).ok_or(RunError::TooLong(limit))
    };
    let stdout = collect(out)?;
    let stderr = collect(err)?;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Waits for `child` until `deadline` has passed, then kills it.
fn wait(child: &mut Child, deadline: Duration) -> Result<ExitStatus, RunError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait().map_err(RunError::Wait)? {
            return Ok(status);
        }
        if start.elapsed() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RunError::Deadline(deadline));
        }
        std::thread::sleep(pause);
        // Short pauses first: postconf usually ends within milliseconds.
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_status_are_kept() {
        let out = run(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            DEADLINE,
            MAX_OUTPUT,
        )
        .unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn a_program_past_its_deadline_is_stopped() {
        let start = Instant::now();
        let e = run(
            Command::new("sleep").arg("30"),
            Duration::from_millis(200),
            MAX_OUTPUT,
        )
        .unwrap_err();
        assert!(matches!(e, RunError::Deadline(_)), "{e:?}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn endless_output_is_cut_at_the_bound() {
        let e = run(
            Command::new("sh").args(["-c", "exec cat /dev/zero"]),
            Duration::from_secs(20),
            1 << 20,
        )
        .unwrap_err();
        assert!(matches!(e, RunError::TooLong(_)), "{e:?}");
    }

    #[test]
    fn a_missing_program_cannot_be_run() {
        let e = run(
            &mut Command::new("/nonexistent/ccert-no-such-program"),
            DEADLINE,
            MAX_OUTPUT,
        )
        .unwrap_err();
        assert!(matches!(e, RunError::Spawn(_)), "{e:?}");
    }
}

//! Which log files to read, and reading them (plain or gzip-compressed).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The log files to read when none are named: `maillog_file` (when Postfix
/// logs there itself), else /var/log/mail.log; each with its rotated siblings
/// (`NAME.1`, `NAME.2.gz`, …), oldest first, so "first seen" and "last seen"
/// come out in order. Only files that exist are returned.
pub fn default_files(maillog_file: Option<&str>) -> Vec<PathBuf> {
    let base = match maillog_file.map(str::trim) {
        // `/dev/stdout` (containers) is not a file to read back.
        Some(f) if !f.is_empty() && !f.starts_with("/dev/") => PathBuf::from(f),
        _ => PathBuf::from("/var/log/mail.log"),
    };
    with_rotated(&base)
}

/// `base` and its rotated siblings that exist, oldest first.
pub fn with_rotated(base: &Path) -> Vec<PathBuf> {
    let mut rotated: Vec<(u32, PathBuf)> = Vec::new();
    if let (Some(dir), Some(name)) = (base.parent(), base.file_name().and_then(|n| n.to_str()))
        && let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            let Some(suffix) = file.strip_prefix(name).and_then(|s| s.strip_prefix('.')) else {
                continue;
            };
            let number = suffix.strip_suffix(".gz").unwrap_or(suffix);
            if let Ok(n) = number.parse::<u32>() {
                rotated.push((n, dir.join(file)));
            }
        }
    }
    // mail.log.3.gz is older than mail.log.1, which is older than mail.log.
    rotated.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out: Vec<PathBuf> = rotated.into_iter().map(|(_, p)| p).collect();
    if base.exists() {
        out.push(base.to_path_buf());
    }
    out
}

/// The read buffer: large enough that skipping an endless line costs a
/// few system calls per megabyte.
const BUFFER: usize = 64 * 1024;

/// Opens a log file for line reading, decompressing `.gz` files (and any
/// file that starts with the gzip magic, as rotated logs sometimes lose their
/// suffix). Anything but a regular file is refused
/// ([`crate::fsutil::open_regular`]: a FIFO would wait for a writer for
/// ever, a device such as /dev/zero never ends); `ccert log -` reads those.
pub fn open(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    let file = crate::fsutil::open_regular(path).map_err(|e| {
        // A FIFO or device is read on purpose through standard input.
        if e.get_ref()
            .is_some_and(|inner| inner.is::<crate::fsutil::NotRegular>())
        {
            std::io::Error::new(
                e.kind(),
                format!("{e}; to read a pipe, pipe it into `ccert log -`"),
            )
        } else {
            e
        }
    })?;
    reader(file)
}

/// Line reading of a log's bytes, decompressed when they start with the
/// gzip magic: what [`open`] reads a file with, and the fuzzers bytes in memory.
pub fn reader(mut input: impl Read + 'static) -> std::io::Result<Box<dyn BufRead>> {
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut input, &mut magic)?;
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let whole = head.chain(input);
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::read::MultiGzDecoder::new(whole),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(BUFFER, whole)))
    }
}

fn read_up_to(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The systemd journal as a log source: what `journalctl` prints of smtpd's
/// messages in its syslog-like `short` format, which [`super::read_into`]
/// reads as it reads /var/log/mail.log.
///
/// Debian 12 keeps no /var/log/mail.log by default, and runs smtpd under
/// `postfix@-.service`, not postfix.service; the journal's trusted `_COMM`
/// field is `smtpd` whatever the unit or the service's syslog_name
/// (`postfix/submission/smtpd`), so `_COMM=smtpd` selects exactly the lines
/// ccert reads. `file`: a journal file (`journalctl --file`), else the
/// system journal. The output is streamed (journalctl's pipe, read line by
/// line), and journalctl is stopped when the reader is dropped.
pub struct Journal {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

/// Whether `path` names a journal file (`system.journal`, `*.journal~`).
pub fn is_journal_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".journal") || name.ends_with(".journal~")
}

/// The `journalctl` program on PATH, if any.
pub fn journalctl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("journalctl"))
        .find(|p| p.is_file())
}

impl Journal {
    /// Starts `journalctl --no-pager -q -o short [--file FILE] _COMM=smtpd`.
    pub fn open(program: &Path, file: Option<&Path>) -> std::io::Result<Journal> {
        let mut cmd = std::process::Command::new(program);
        cmd.args(["--no-pager", "--quiet", "--output=short"]);
        if let Some(file) = file {
            cmd.arg("--file").arg(file);
        }
        let mut child = cmd
            .arg("_COMM=smtpd")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let out = BufReader::new(child.stdout.take().expect("a piped stdout"));
        Ok(Journal { child, out })
    }

    /// Waits for journalctl; an error when it failed (its message went to
    /// standard error already).
    pub fn finish(mut self) -> std::io::Result<()> {
        let status = self.child.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("journalctl {status}")))
        }
    }
}

impl Read for Journal {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.out.read(buf)
    }
}

impl BufRead for Journal {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.out.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.out.consume(amount);
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // Stopped early (an error while reading): do not leave it running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_siblings_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "mail.log",
            "mail.log.1",
            "mail.log.2.gz",
            "mail.log.10.gz",
            "mail.log.old",
            "mail.err",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let base = dir.path().join("mail.log");
        let names: Vec<String> = default_files(base.to_str())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["mail.log.10.gz", "mail.log.2.gz", "mail.log.1", "mail.log"]
        );
        assert_eq!(
            default_files(Some("/dev/stdout")),
            with_rotated(Path::new("/var/log/mail.log"))
        );
    }
}

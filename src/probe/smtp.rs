//! The few SMTP steps a probe needs: read a (multi-line) reply, send a
//! command, and keep the whole dialogue within one deadline.
//!
//! The server is not trusted. Every reply is bounded: a line is at most
//! [`MAX_LINE`] bytes, a reply at most [`MAX_REPLY_LINES`] lines and
//! [`MAX_REPLY_BYTES`] bytes, so an endless multi-line reply ends in
//! [`SmtpError::TooLong`] within a few kilobytes; and every read and write
//! goes through [`Deadline`], so a server that trickles one byte every few
//! seconds still ends in [`SmtpError::TimedOut`] at the deadline.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The longest reply line, in bytes without CRLF: Postfix's own
/// `line_length_limit` default (2048), which its SMTP client uses for the
/// lines of a server's reply. RFC 5321 allows 512.
pub const MAX_LINE: usize = 2048;

/// The most lines in one reply. A Postfix EHLO reply has about a dozen; a
/// long multi-line greeting a few dozen.
pub const MAX_REPLY_LINES: usize = 100;

/// The most bytes in one reply (all its lines). Postfix keeps only
/// `line_length_limit` bytes of a multi-line reply's text; ccert refuses
/// past this, which no real reply comes near.
pub const MAX_REPLY_BYTES: usize = 32 * 1024;

/// One SMTP reply: the code and the text of all its lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text after the code of each line, joined with newlines.
    pub text: String,
}

impl Reply {
    /// Whether the code is 2xx.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The lines of an EHLO reply that name extensions, upper-cased keyword first.
    pub fn has_extension(&self, keyword: &str) -> bool {
        self.text.lines().skip(1).any(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
        })
    }
}

/// Errors of the dialogue.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The connection failed or timed out.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The server said something that is not an SMTP reply.
    #[error("the server's reply is not SMTP: {0:?}")]
    Garbled(String),
    /// The dialogue's deadline passed (the server is slow, or stalls on purpose).
    #[error("timed out")]
    TimedOut,
    /// A reply over one of the limits (its first bytes).
    #[error("the server's reply is too long ({why}): {start:?}")]
    TooLong {
        /// Which limit.
        why: String,
        /// The reply's first line, cut.
        start: String,
    },
}

impl SmtpError {
    /// Errors of reading or writing, with a timeout as [`SmtpError::TimedOut`].
    fn io(e: io::Error) -> Self {
        if is_timeout(&e) {
            Self::TimedOut
        } else {
            Self::Io(e)
        }
    }
}

/// Whether `e` is a socket timeout (EAGAIN from `SO_RCVTIMEO`, or
/// [`Deadline`]'s own).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// A TCP stream with one deadline for everything read and written on it:
/// before each system call the socket's timeout is set to the time left,
/// so the whole dialogue (the TLS handshake included, which reads and
/// writes through this) ends by the deadline, however the server paces
/// its bytes.
#[derive(Debug)]
pub struct Deadline {
    stream: TcpStream,
    at: Instant,
}

impl Deadline {
    /// `stream`, which must be done by `at`.
    pub fn new(stream: TcpStream, at: Instant) -> Self {
        Self { stream, at }
    }

    /// The time left, or a timeout error when none is.
    fn left(&self) -> io::Result<Duration> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))
        } else {
            Ok(left)
        }
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.stream.set_write_timeout(Some(left))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Reads one reply byte by byte (so nothing after it is consumed: STARTTLS
/// hands the same stream to TLS right after the 220), within the limits.
pub fn read_reply(stream: &mut dyn Read) -> Result<Reply, SmtpError> {
    let mut code = None;
    let mut text = Vec::new();
    let mut bytes = 0usize;
    let mut first = None;
    loop {
        let line = read_line(stream)?;
        let shown = || String::from_utf8_lossy(&line).into_owned();
        first.get_or_insert_with(|| cut(&line));
        bytes += line.len() + 2;
        if text.len() >= MAX_REPLY_LINES || bytes > MAX_REPLY_BYTES {
            return Err(SmtpError::TooLong {
                why: format!("over {MAX_REPLY_LINES} lines or {MAX_REPLY_BYTES} bytes"),
                start: first.unwrap_or_default(),
            });
        }
        if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
            return Err(SmtpError::Garbled(shown()));
        }
        let this: u16 = std::str::from_utf8(&line[..3])
            .ok()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| SmtpError::Garbled(shown()))?;
        if code.is_some_and(|c| c != this) {
            return Err(SmtpError::Garbled(shown()));
        }
        code = Some(this);
        let more = line.get(3) == Some(&b'-');
        text.push(String::from_utf8_lossy(line.get(4..).unwrap_or_default()).into_owned());
        if !more {
            return Ok(Reply {
                code: this,
                text: text.join("\n"),
            });
        }
    }
}

/// The first 80 bytes of a line, for a message.
fn cut(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned()
}

fn read_line(stream: &mut dyn Read) -> Result<Vec<u8>, SmtpError> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let n = loop {
            match stream.read(&mut byte) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(SmtpError::io)?,
            }
        };
        if n == 0 {
            return Err(SmtpError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            )));
        }
        match byte[0] {
            b'\n' => {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            b => line.push(b),
        }
        if line.len() > MAX_LINE + 1 {
            return Err(SmtpError::TooLong {
                why: format!("a line over {MAX_LINE} bytes"),
                start: cut(&line),
            });
        }
    }
}

/// Sends `command` (without CRLF) and reads the reply.
pub fn command(stream: &mut (impl Read + Write), command: &str) -> Result<Reply, SmtpError> {
    let mut line = Vec::with_capacity(command.len() + 2);
    line.extend_from_slice(command.as_bytes());
    line.extend_from_slice(b"\r\n");
    stream
        .write_all(&line)
        .and_then(|()| stream.flush())
        .map_err(SmtpError::io)?;
    read_reply(stream)
}

/// A command argument (EHLO name, address) that would not stay one
/// argument of one command line: the control character it holds and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("contains the control character U+{:04X} at character {}; SMTP arguments are one line of printable text", *.character as u32, .position + 1)]
pub struct NotOneLine {
    /// The character (CR, LF, NUL, …).
    pub character: char,
    /// Its index among the characters (0-based).
    pub position: usize,
}

/// Refuses an argument with a control character: a CR or LF would end the
/// command line and let the rest be read as a command of its own (DATA),
/// a NUL cuts it short in C servers.
pub fn one_line(argument: &str) -> Result<(), NotOneLine> {
    match argument.chars().enumerate().find(|(_, c)| c.is_control()) {
        Some((position, character)) => Err(NotOneLine {
            character,
            position,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_replies() {
        let mut input: &[u8] = b"250-mx.example\r\n250-STARTTLS\r\n250 8BITMIME\r\n220 next\r\n";
        let r = read_reply(&mut input).unwrap();
        assert_eq!(r.code, 250);
        assert!(r.has_extension("starttls"));
        assert!(!r.has_extension("mx.example"));
        assert_eq!(read_reply(&mut input).unwrap().code, 220);
        assert!(read_reply(&mut &b"hello\r\n"[..]).is_err());
        assert!(read_reply(&mut &b"250-a\r\n251 b\r\n"[..]).is_err());
        assert!(read_reply(&mut &b""[..]).is_err());
    }

    #[test]
    fn replies_are_bounded() {
        let endless: Vec<u8> = b"250-x\r\n".repeat(MAX_REPLY_LINES + 5);
        assert!(matches!(
            read_reply(&mut &endless[..]),
            Err(SmtpError::TooLong { .. })
        ));
        let mut long = b"250 ".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        long.extend_from_slice(b"\r\n");
        assert!(matches!(
            read_reply(&mut &long[..]),
            Err(SmtpError::TooLong { .. })
        ));
        // Just within: MAX_LINE bytes.
        let mut fits = b"250 ".to_vec();
        fits.extend(std::iter::repeat_n(b'x', MAX_LINE - 4));
        fits.extend_from_slice(b"\r\n");
        assert_eq!(read_reply(&mut &fits[..]).unwrap().code, 250);
        let many: Vec<u8> = [
            b"250-x\r\n".repeat(MAX_REPLY_LINES - 1),
            b"250 y\r\n".to_vec(),
        ]
        .concat();
        assert_eq!(read_reply(&mut &many[..]).unwrap().code, 250);
    }

    #[test]
    fn arguments_are_one_line() {
        assert!(one_line("ccert-probe@example.org").is_ok());
        assert!(one_line("\"a b\"@example.org").is_ok());
        let e = one_line("a@b\r\nDATA").unwrap_err();
        assert_eq!((e.character, e.position), ('\r', 3));
        assert!(e.to_string().contains("U+000D at character 4"));
        assert!(one_line("a\0b").is_err());
        assert!(one_line("a\u{85}b").is_err());
    }
}

//! The few SMTP steps a probe needs: read a (multi-line) reply, send a command.

use std::io::{self, Read, Write};

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
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server said something that is not an SMTP reply.
    #[error("the server's reply is not SMTP: {0:?}")]
    Garbled(String),
}

/// Reads one reply byte by byte (so nothing after it is consumed: STARTTLS
/// hands the same stream to TLS right after the 220).
pub fn read_reply(stream: &mut dyn Read) -> Result<Reply, SmtpError> {
    let mut code = None;
    let mut text = Vec::new();
    loop {
        let line = read_line(stream)?;
        let shown = || String::from_utf8_lossy(&line).into_owned();
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

fn read_line(stream: &mut dyn Read) -> Result<Vec<u8>, SmtpError> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if stream.read(&mut byte)? == 0 {
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
        if line.len() > 4096 {
            return Err(SmtpError::Garbled(
                String::from_utf8_lossy(&line[..80]).into_owned(),
            ));
        }
    }
}

/// Sends `command` (without CRLF) and reads the reply.
pub fn command(stream: &mut (impl Read + Write), command: &str) -> Result<Reply, SmtpError> {
    stream.write_all(command.as_bytes())?;
    stream.write_all(b"\r\n")?;
    stream.flush()?;
    read_reply(stream)
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
}

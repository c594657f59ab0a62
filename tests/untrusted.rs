//! What other people control cannot hang, flood or fool ccert (issue 17):
//! a dangling symlink at the source, mail logs that are bombs, devices or
//! FIFOs, SMTP servers that trickle, never stop talking or print escape
//! sequences, protocol arguments with line breaks, and names that would
//! take over the terminal.
//!
//! Every ccert run here is [`guarded`] (memory limit and hang guard): a run
//! that loops or grows fails the test instead of passing unnoticed. The
//! hostile SMTP servers listen on 127.0.0.1:0, accept a few connections,
//! end each one after a bounded time, and are stopped by their Drop guard
//! even when the test fails.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::hardening::{fixture, guarded, scratch};
use crate::oracle;

/// An ESC that would start a terminal escape sequence, as ccert shows it.
const ESC_SHOWN: &str = "\\u{001B}";

// ---------------------------------------------------------------------------
// Item 1: a dangling symlink at the source path.

/// `add` and `add --fingerprint` through a dangling symlink create the file
/// the link points to (as an editor writing through the link does) and
/// finish; the link stays a link. Before, both looped for ever.
#[test]
fn a_dangling_symlink_source_is_created_through() {
    let scratch = scratch();
    let dir = scratch.path();
    fs::create_dir(dir.join("real")).unwrap();
    symlink("real/clientcerts", dir.join("clientcerts")).unwrap();
    let cert = fixture("rsa.pem");
    guarded(dir)
        .args([
            "add",
            "--map",
            "clientcerts",
            "--name",
            "ws1",
            "-d",
            "sha256",
        ])
        .arg(cert.to_str().unwrap())
        .any_stderr()
        .stdout_contains("ws1")
        .run();
    assert!(
        fs::symlink_metadata(dir.join("clientcerts"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = fs::read_to_string(dir.join("real/clientcerts")).unwrap();
    assert!(written.contains(" ws1"), "{written}");

    fs::remove_file(dir.join("real/clientcerts")).unwrap();
    let fp = "AB:".repeat(31) + "AB";
    guarded(dir)
        .args(["add", "--map", "clientcerts", "--fingerprint", &fp])
        .args(["--name", "ws2"])
        .any_stderr()
        .run();
    let written = fs::read_to_string(dir.join("real/clientcerts")).unwrap();
    assert!(written.contains(" ws2"), "{written}");

    // A link into a directory that does not exist: one error naming it.
    symlink("nowhere/clientcerts", dir.join("lost")).unwrap();
    guarded(dir)
        .args([
            "add",
            "--map",
            "lost",
            "--fingerprint",
            &fp,
            "--name",
            "ws3",
        ])
        .status(1)
        .stderr_contains("ccert: error:")
        .stderr_contains("nowhere")
        .stderr_lacks("panicked")
        .run();
}

// ---------------------------------------------------------------------------
// Item 2: mail logs that are bombs, devices or FIFOs.

/// A gzip of one endless line of zeros (what a rotated `mail.log.N.gz`
/// could hold) is read to its end within the memory limit, and the skipped
/// line is reported; a real log line after it is still found. The size is
/// 64 MiB in a plain `cargo test`, 1 GiB under `CCERT_INTEROP=1`
/// (benches/README.md has 10 GB, measured).
#[test]
fn a_gzip_of_zeros_is_read_in_bounded_memory() {
    let scratch = scratch();
    let dir = scratch.path();
    let size = oracle::size(1 << 30, 64 << 20);
    let path = dir.join("mail.log.2.gz");
    {
        let file = fs::File::create(&path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..size >> 20 {
            gz.write_all(&zeros).unwrap();
        }
        gz.write_all(b"\n").unwrap();
        gz.write_all(CERT_LINE.as_bytes()).unwrap();
        gz.write_all(b"\n").unwrap();
        gz.finish().unwrap();
    }
    let run = guarded(dir)
        .args(["log", "mail.log.2.gz"])
        .status(1)
        .stderr_contains("skipped 1 line longer than 8192 bytes")
        .any_stderr()
        .stderr_lacks("panicked")
        .run();
    assert!(run.stdout.contains("ws.example"), "{}", run.stdout);

    // The same endless line on standard input (as `< /dev/zero` would
    // give, but ending).
    let mut input = vec![0u8; 4 << 20];
    input.push(b'\n');
    input.extend_from_slice(CERT_LINE.as_bytes());
    input.push(b'\n');
    guarded(dir)
        .args(["log", "-"])
        .stdin(input)
        .status(1)
        .stderr_contains("standard input: skipped 1 line longer than 8192 bytes")
        .any_stderr()
        .stdout_contains("ws.example")
        .run();
}

/// A FIFO, /dev/zero and a directory named as logs are refused by name
/// before anything is read (the FIFO without waiting for a writer).
#[test]
fn logs_that_are_not_regular_files_are_refused() {
    let scratch = scratch();
    let dir = scratch.path();
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    fs::create_dir(dir.join("logdir")).unwrap();
    for (name, kind) in [
        ("fifo", "FIFO"),
        ("/dev/zero", "character device"),
        ("logdir", "directory"),
    ] {
        guarded(dir)
            .args(["log", name])
            .status(1)
            .stderr(format!(
                "ccert: error: reading {name}: is a {kind}, not a regular file; to read a pipe, \
                 pipe it into `ccert log -`\n"
            ))
            .run();
    }
}

// ---------------------------------------------------------------------------
// Item 8: terminal injection through the log.

/// A certificate line of smtpd's (Postfix 3.7 form) for the client
/// `ws.example[192.0.2.7]`.
const CERT_LINE: &str = "Nov 25 19:05:58 mx postfix/submission/smtpd[8240]: ws.example[192.0.2.7]: subject_CN=ws.example, issuer=Example CA, fingerprint=B3:6D:99:77:D7:EB:F0:7E:3C:25:19:B9:88:2C:0F:6D:5D:81:60:CD:FF:5E:4A:A7:66:92:05:B6:FE:22:1E:FB, pkey_fingerprint=9A:EA:D9:91:62:0C:D0:C4:FF:61:8A:DF:0B:ED:59:02:5B:C6:89:47:30:0C:E0:C9:C4:2C:95:DA:12:EB:73:C7";

/// A log whose client name, syslog name, subject and issuer carry an OSC
/// title sequence, a terminal reset, a screen clear, cursor movement, a
/// C1 CSI and bidi overrides and isolates. (A client name cannot hold `[`
/// or `]`: smtpd's `name[addr]` would not parse.)
fn hostile_log() -> String {
    CERT_LINE
        .replace("ws.example[", "evil\u{1b}c\u{7}\u{202E}exe.ws\u{202C}[")
        .replace(
            "subject_CN=ws.example",
            "subject_CN=\u{1b}]0;owned\u{7}ws\u{2066}x",
        )
        .replace("issuer=Example CA", "issuer=CA\u{9b}31m\u{1b}[2J")
        .replace("postfix/submission", "postfix/\u{1b}[1Asub")
}

/// No escape or bidi character from the log reaches the table: each is
/// shown as `\u{XXXX}`.
#[test]
fn log_table_escapes_terminal_sequences() {
    let scratch = scratch();
    let dir = scratch.path();
    fs::write(dir.join("mail.log"), hostile_log() + "\n").unwrap();
    let run = guarded(dir)
        .args(["log", "mail.log"])
        .status(1)
        .any_stderr()
        .run();
    assert_clean(&run.stdout, "log table");
    assert_clean(&run.stderr, "log table stderr");
    for shown in [
        ESC_SHOWN,
        "\\u{202E}",
        "\\u{2066}",
        "\\u{009B}",
        "\\u{0007}",
    ] {
        assert!(run.stdout.contains(shown), "{shown} in {}", run.stdout);
    }
}

/// `log --approve` in a pseudo-terminal: the client is described with its
/// escapes shown, the CN is not offered as the default name (the prompt
/// would print it raw), and the name typed instead is added.
#[test]
#[cfg_attr(ccert_missing = "bsdutils", ignore = "needs bsdutils")]
fn log_approve_prompt_escapes_terminal_sequences() {
    if oracle::require("script", "log_approve_prompt_escapes_terminal_sequences").is_none() {
        return;
    }
    let scratch = scratch();
    let dir = scratch.path();
    fs::write(dir.join("mail.log"), hostile_log() + "\n").unwrap();
    let run = guarded(dir)
        .args(["log", "--approve", "--map", "clientcerts", "mail.log"])
        .pty()
        .stdin_typed(["y", "ws1\r", "n"], Duration::from_millis(500))
        .run();
    assert_no_injection(&run.stdout, "approve prompt");
    assert!(run.stdout.contains(ESC_SHOWN), "{}", run.stdout);
    assert!(run.stdout.contains("Add this client?"), "{}", run.stdout);
    assert!(!run.stdout.contains("Name ["), "{}", run.stdout);
    let source = fs::read_to_string(dir.join("clientcerts")).unwrap();
    assert!(source.contains(" ws1"), "{source}");
}

/// Fails when `text` holds one of the sequences or bidi characters the
/// hostile inputs carry (for a pseudo-terminal's output, where the prompt
/// library draws with escape sequences of its own).
fn assert_no_injection(text: &str, what: &str) {
    for bad in [
        "\u{1b}]0;owned",
        "\u{1b}c",
        "\u{1b}[2J",
        "\u{1b}[1A",
        "\u{9b}",
        "\u{7}",
        "\u{202E}",
        "\u{202C}",
        "\u{2066}",
    ] {
        assert!(!text.contains(bad), "{what}: raw {bad:?} in {text:?}");
    }
}

/// Fails when `text` holds any character that would act on the terminal.
fn assert_clean(text: &str, what: &str) {
    assert_no_injection(text, what);
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c.is_control() && c != '\n')
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in {text:?}");
}

// ---------------------------------------------------------------------------
// Items 3, 8 and 10: hostile SMTP servers.

/// What a hostile server does after accepting a connection.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// `220 ` then one byte a second, for ever: each read is answered in
    /// time, only an overall deadline ends it.
    Trickle,
    /// A multi-line greeting that never ends.
    EndlessGreeting,
    /// A normal EHLO and STARTTLS, then, inside TLS, an EHLO reply that
    /// never ends.
    EndlessAfterStartTls,
    /// A normal dialogue through TLS whose MAIL and RCPT replies carry
    /// escape sequences: a fake "verdict: permitted" line, a title change.
    Injecting,
    /// Answers every command with 502 (for the argument test, which must
    /// never connect).
    Recording,
}

/// Longest a hostile connection is kept open, whatever the client does.
const CONNECTION_LIMIT: Duration = Duration::from_secs(60);

/// A hostile SMTP server on 127.0.0.1, stopped on drop.
struct Hostile {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Listens on a free loopback port; serves at most 4 connections,
    /// with the identity of [`identity`] in `dir` for TLS.
    fn start(behaviour: Behaviour, dir: &Path) -> Self {
        let (cert, key) = identity(dir);
        let tls = tls_config(&cert, &key);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (stop2, accepted2) = (stop.clone(), accepted.clone());
        let thread = std::thread::spawn(move || {
            let mut handlers = Vec::new();
            let started = Instant::now();
            while !stop2.load(Ordering::SeqCst)
                && started.elapsed() < CONNECTION_LIMIT
                && accepted2.load(Ordering::SeqCst) < 4
            {
                match listener.accept() {
                    Ok((conn, _)) => {
                        accepted2.fetch_add(1, Ordering::SeqCst);
                        let (stop, tls) = (stop2.clone(), tls.clone());
                        handlers.push(std::thread::spawn(move || {
                            let _ = serve(conn, behaviour, tls, &stop);
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            for h in handlers {
                let _ = h.join();
            }
        });
        Self {
            addr,
            stop,
            accepted,
            thread: Some(thread),
        }
    }

    fn server(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether the connection should end: stopped, or open too long.
fn over(stop: &AtomicBool, since: Instant) -> bool {
    stop.load(Ordering::SeqCst) || since.elapsed() > CONNECTION_LIMIT
}

/// Reads one command line (to LF), giving up when the server is stopped.
fn command_line(reader: &mut impl BufRead, stop: &AtomicBool, since: Instant) -> Option<String> {
    let mut line = Vec::new();
    loop {
        if over(stop, since) {
            return None;
        }
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return None,
            Ok(_) if line.ends_with(b"\n") => {
                return Some(String::from_utf8_lossy(&line).into_owned());
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
}

/// Writes `chunk` until the server is stopped or the client goes away.
fn endless(out: &mut impl Write, chunk: &[u8], stop: &AtomicBool, since: Instant) {
    while !over(stop, since) {
        if out.write_all(chunk).is_err() {
            return;
        }
    }
}

/// A certificate and key made by `ccert issue` in `dir/tls/` (`mx.pem`,
/// `mx.key`): the hostile server's, and the probe's client identity.
fn identity(dir: &Path) -> (PathBuf, PathBuf) {
    fs::create_dir_all(dir.join("tls")).unwrap();
    let (cert, key) = (dir.join("tls/mx.pem"), dir.join("tls/mx.key"));
    if !cert.exists() {
        guarded(dir)
            .args(["issue", "mx", "--out", "tls"])
            .any_stderr()
            .run();
    }
    (cert, key)
}

/// The server's TLS configuration with the certificate of [`identity`].
fn tls_config(cert: &Path, key: &Path) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject as _;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}

fn serve(
    conn: TcpStream,
    behaviour: Behaviour,
    tls: Arc<rustls::ServerConfig>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let since = Instant::now();
    conn.set_read_timeout(Some(Duration::from_millis(200)))?;
    conn.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut out = conn.try_clone()?;
    match behaviour {
        Behaviour::Trickle => {
            out.write_all(b"220 ")?;
            while !over(stop, since) {
                std::thread::sleep(Duration::from_secs(1));
                out.write_all(b"x")?;
            }
        }
        Behaviour::EndlessGreeting => {
            endless(
                &mut out,
                &b"220-hello hello hello\r\n".repeat(64),
                stop,
                since,
            );
        }
        Behaviour::Recording => {
            out.write_all(b"220 mx ESMTP\r\n")?;
            let mut reader = BufReader::new(conn);
            while command_line(&mut reader, stop, since).is_some() {
                out.write_all(b"502 5.5.2 Error: command not recognized\r\n")?;
            }
        }
        Behaviour::EndlessAfterStartTls | Behaviour::Injecting => {
            out.write_all(b"220 mx ESMTP\r\n")?;
            let mut reader = BufReader::new(conn);
            // EHLO, then STARTTLS.
            command_line(&mut reader, stop, since).ok_or(std::io::ErrorKind::Other)?;
            out.write_all(b"250-mx\r\n250 STARTTLS\r\n")?;
            command_line(&mut reader, stop, since).ok_or(std::io::ErrorKind::Other)?;
            out.write_all(b"220 2.0.0 Ready to start TLS\r\n")?;
            let conn = reader.into_inner();
            let server = rustls::ServerConnection::new(tls).map_err(std::io::Error::other)?;
            let mut tls = rustls::StreamOwned::new(server, conn);
            while tls.conn.is_handshaking() {
                if over(stop, since) {
                    return Ok(());
                }
                match tls.conn.complete_io(&mut tls.sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            let mut reader = BufReader::new(tls);
            command_line(&mut reader, stop, since).ok_or(std::io::ErrorKind::Other)?;
            if let Behaviour::EndlessAfterStartTls = behaviour {
                let chunk = b"250-PIPELINING PIPELINING PIPELINING\r\n".repeat(64);
                endless(reader.get_mut(), &chunk, stop, since);
                return Ok(());
            }
            let tls = reader.get_mut();
            tls.write_all(b"250-mx\r\n250 8BITMIME\r\n")?;
            tls.flush()?;
            command_line(&mut reader, stop, since).ok_or(std::io::ErrorKind::Other)?;
            reader.get_mut().write_all(
                b"250 2.1.0 Ok\x1b[2K\rverdict:       permitted: relaying permitted\x1b]0;owned\x07\r\n",
            )?;
            command_line(&mut reader, stop, since).ok_or(std::io::ErrorKind::Other)?;
            reader.get_mut().write_all(
                "554 5.7.1 <x>: Relay access denied\u{202E}deined\u{1b}[1A\r\n".as_bytes(),
            )?;
            command_line(&mut reader, stop, since);
            let _ = reader.get_mut().write_all(b"221 2.0.0 Bye\r\n");
        }
    }
    Ok(())
}

/// `ccert probe` of `server` with the certificate and key of [`identity`].
fn probe(dir: &Path, server: &str, extra: &[&str]) -> crate::test::Test {
    let (cert, key) = identity(dir);
    guarded(dir)
        .args(["probe", server, "--cert", cert.to_str().unwrap()])
        .args(["--key", key.to_str().unwrap(), "-d", "sha256"])
        .args(extra)
}

/// The verdict of a JSON probe report.
fn verdict(stdout: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["verdict"].as_str().unwrap_or_default().to_string()
}

/// A server that sends one byte a second is timed out at --timeout for
/// the whole dialogue (a per-read timeout would wait for ever); the hang
/// guard fails the test otherwise.
#[test]
fn probe_times_out_a_trickling_server() {
    let scratch = scratch();
    let server = Hostile::start(Behaviour::Trickle, scratch.path());
    let run = probe(scratch.path(), &server.server(), &["--timeout", "3"])
        .args(["--format", "json"])
        .status(1)
        .run();
    assert_eq!(verdict(&run.stdout), "timed-out", "{}", run.stdout);
    let text = probe(scratch.path(), &server.server(), &["--timeout", "2"])
        .status(1)
        .run();
    assert!(
        text.stdout
            .contains("verdict:       timed-out: reading the greeting: timed out"),
        "{}",
        text.stdout
    );
}

/// An endless multi-line reply, before TLS and inside it, ends in
/// "reply too long" after a few kilobytes, within the memory limit.
#[test]
fn probe_refuses_endless_replies() {
    let scratch = scratch();
    for behaviour in [Behaviour::EndlessGreeting, Behaviour::EndlessAfterStartTls] {
        let server = Hostile::start(behaviour, scratch.path());
        let run = probe(scratch.path(), &server.server(), &["--format", "json"])
            .note(format!("{behaviour:?}"))
            .status(1)
            .run();
        assert_eq!(verdict(&run.stdout), "reply-too-long", "{}", run.stdout);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(
            v["diagnosis"]
                .as_str()
                .unwrap()
                .contains("reply is too long (over 100 lines or 32768 bytes)"),
            "{behaviour:?}: {}",
            run.stdout
        );
        if let Behaviour::EndlessAfterStartTls = behaviour {
            assert!(v["tls_version"].is_string(), "{}", run.stdout);
        }
    }
}

/// Escape sequences and bidi overrides in the server's replies are shown
/// escaped: the fake verdict line stays on the MAIL FROM line, and the
/// only verdict line is ccert's own.
#[test]
fn probe_escapes_server_replies() {
    let scratch = scratch();
    let server = Hostile::start(Behaviour::Injecting, scratch.path());
    let run = probe(scratch.path(), &server.server(), &[]).status(1).run();
    assert_clean(&run.stdout, "probe report");
    assert!(run.stdout.contains(ESC_SHOWN), "{}", run.stdout);
    assert!(run.stdout.contains("\\u{202E}"), "{}", run.stdout);
    let verdicts: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("verdict:"))
        .collect();
    assert_eq!(verdicts.len(), 1, "{}", run.stdout);
    assert!(verdicts[0].starts_with("verdict:       "), "{}", run.stdout);
    assert!(!verdicts[0].contains("permitted"), "{}", run.stdout);
}

/// A control character in --helo, --from or --to is one clear error, and
/// nothing is sent (the server never sees a connection).
#[test]
fn probe_refuses_line_breaks_in_arguments() {
    let scratch = scratch();
    let server = Hostile::start(Behaviour::Recording, scratch.path());
    for (option, value, shown) in [
        ("--helo", "ws\r\nDATA", "ws\\u{000D}\\u{000A}DATA"),
        (
            "--from",
            "a@b.example>\nRCPT TO:<c@d.example",
            "a@b.example>\\u{000A}RCPT TO:<c@d.example",
        ),
        ("--to", "x@y.example\u{1b}[2J", "x@y.example\\u{001B}[2J"),
    ] {
        let position = value.chars().position(char::is_control).unwrap() + 1;
        let code = value.chars().find(|c| c.is_control()).unwrap() as u32;
        probe(scratch.path(), &server.server(), &[option, value])
            .status(1)
            .stderr(format!(
                "ccert: error: {option} \"{shown}\": contains the control character U+{code:04X} \
                 at character {position}; SMTP arguments are one line of printable text\n"
            ))
            .run();
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 0);
}

/// A postconf that never stops printing (a broken or hostile program named
/// by CCERT_POSTCONF, or one looping on a damaged configuration) is stopped
/// at the output bound, and ccert goes on with its built-in defaults,
/// saying why, as for a postconf that fails. The deadline for one that hangs silently is tested in the library
/// (`subprocess::tests`), where it can be short.
#[test]
fn a_postconf_that_never_stops_printing_is_stopped() {
    use std::os::unix::fs::PermissionsExt as _;
    let test =
        crate::test::Test::new().file("postfix-config/main.cf", "compatibility_level = 3.6\n");
    let postconf = test.dir().join("postconf");
    fs::write(
        &postconf,
        "#!/bin/sh\nexec yes 'smtpd_tls_fingerprint_digest = sha256'\n",
    )
    .unwrap();
    fs::set_permissions(&postconf, fs::Permissions::from_mode(0o755)).unwrap();
    test.env("CCERT_POSTCONF", postconf.to_str().unwrap())
        .args(["server-config"])
        // As for any postconf that fails: the built-in defaults, and why.
        .stdout_contains("postconf: printed more than 16 MiB and was stopped)")
        .any_stderr()
        .run();
}

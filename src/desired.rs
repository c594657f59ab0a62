//! The desired-state file of `ccert apply`: every client the list should
//! hold, in TOML (what admins keep in git) or, for machine-generated files,
//! the same schema in JSON (a file whose first non-blank byte is `{`):
//!
//! ```toml
//! [[client]]
//! name = "chinacat"
//! certificate = "/etc/postfix/clients/chinacat.pem"   # or: fingerprint = "AB:CD:…"
//! pubkey = false                                      # optional
//! ```
//!
//! [`read`] checks everything before the list is touched: each entry has a
//! name Postfix stores unchanged and exactly one of `certificate` and
//! `fingerprint`; certificates are read and fingerprinted with the digest
//! and entry kind the effective configuration gives (as `ccert add` does);
//! a fingerprint must have the digest's length; no two entries share a
//! name or a fingerprint. Each error names the file and the `[[client]]`
//! entry (1-based index and name).

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::Date;

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint};
use crate::source::annotation::Annotation;
use crate::source::check_value;

/// The largest desired-state file read: 64 MiB. A client takes about 150
/// bytes, so this holds several hundred thousand; a bound keeps a wrong
/// path (a device, a log) from taking all memory.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    client: Vec<Entry>,
}

/// One `[[client]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Option<String>,
    certificate: Option<PathBuf>,
    fingerprint: Option<String>,
    pubkey: Option<bool>,
}

/// One client the list should hold, checked.
#[derive(Debug, Clone)]
pub struct Client {
    /// 1-based position in the file, for messages.
    pub index: usize,
    /// The entry's value.
    pub name: String,
    /// The key, in the effective digest.
    pub fingerprint: Fingerprint,
    /// Whether the key is the public key's fingerprint.
    pub pubkey: bool,
    /// The certificate, when the entry names one.
    pub certificate: Option<Certificate>,
    /// ccert's comment for the entry when it is new.
    pub annotation: Annotation,
}

/// Errors reading a desired-state file; nothing has been changed.
#[derive(Debug, thiserror::Error)]
pub enum DesiredError {
    /// The file cannot be read.
    #[error("{}: cannot read", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is over [`MAX_FILE`].
    #[error("{}: larger than 64 MiB; this is not a desired-state file", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// Not TOML (or JSON) of the schema.
    #[error("{}{}: {message}; see `ccert apply --help` for the format", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line, when known.
        line: Option<usize>,
        /// What the parser said.
        message: String,
    },
    /// One entry is wrong.
    #[error("{}: [[client]] {index}{}: {message}", path.display(), name.as_ref().map(|n| format!(" ({n:?})")).unwrap_or_default())]
    Entry {
        /// The file.
        path: PathBuf,
        /// 1-based index of the entry.
        index: usize,
        /// Its name, when it has one.
        name: Option<String>,
        /// What is wrong and what to do.
        message: String,
    },
}

/// How entries are fingerprinted: the effective configuration's digest and
/// default entry kind, and the day written into new entries' comments.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// `smtpd_tls_fingerprint_digest`.
    pub digest: DigestAlgorithm,
    /// Whether entries are public-key fingerprints unless an entry says
    /// (raw public keys enabled).
    pub pubkey: bool,
    /// Today (UTC).
    pub today: Date,
}

/// Reads and checks the desired-state file at `path`.
pub fn read(
    path: &Path,
    rules: Rules,
    passwords: &dyn crate::cert::PasswordSource,
) -> Result<Vec<Client>, DesiredError> {
    let bytes = read_bounded(path)?;
    let malformed = |line, message: String| DesiredError::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| malformed(None, format!("not UTF-8 text ({e})")))?;
    let file: File = if text.trim_start().starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| malformed(Some(e.line()), format!("not valid JSON: {e}")))?
    } else {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            malformed(line, format!("not valid TOML: {}", e.message().trim_end()))
        })?
    };
    let base = crate::fsutil::parent_dir(path);
    let mut clients: Vec<Client> = Vec::with_capacity(file.client.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (i, entry) in file.client.into_iter().enumerate() {
        let index = i + 1;
        let name = entry.name.clone();
        let fail = |message: String| DesiredError::Entry {
            path: path.to_path_buf(),
            index,
            name: name.clone(),
            message,
        };
        let client = check(entry, index, base, rules, passwords).map_err(fail)?;
        if let Some(first) = names.insert(client.name.clone(), index) {
            return Err(fail(format!(
                "the name is also [[client]] {first}'s; each client needs its own name"
            )));
        }
        if let Some(first) = keys.insert(client.fingerprint.to_map_key(), index) {
            return Err(fail(format!(
                "fingerprint {} is also [[client]] {first}'s; list each certificate once",
                client.fingerprint
            )));
        }
        clients.push(client);
    }
    Ok(clients)
}

/// Checks one entry; the error says what is wrong and what to do.
fn check(
    entry: Entry,
    index: usize,
    base: &Path,
    rules: Rules,
    passwords: &dyn crate::cert::PasswordSource,
) -> Result<Client, String> {
    let name = entry
        .name
        .ok_or_else(|| "has no name; give it `name = \"host\"`".to_string())?;
    check_value(name.as_bytes()).map_err(|e| format!("name: {e}"))?;
    let pubkey = entry.pubkey.unwrap_or(rules.pubkey);
    let digest = rules.digest;
    match (entry.certificate, entry.fingerprint) {
        (Some(_), Some(_)) => Err("has both `certificate` and `fingerprint`; give one".into()),
        (None, None) => Err("needs `certificate = \"PATH\"` or `fingerprint = \"AB:CD:…\"`".into()),
        (Some(cert_path), None) => {
            let cert_path = if cert_path.is_relative() {
                base.join(cert_path)
            } else {
                cert_path
            };
            let certs = crate::cert::read_certificates(&cert_path, passwords)
                .map_err(|e| crate::report::chain_line(&e))?;
            let Some(cert) = certs.into_iter().next() else {
                return Err(format!(
                    "{}: no certificate found; give a PEM or DER certificate file",
                    cert_path.display()
                ));
            };
            let fingerprint = cert.fingerprint(digest, pubkey);
            let annotation = Annotation::for_certificate(&cert, &fingerprint, pubkey, rules.today);
            Ok(Client {
                index,
                name,
                fingerprint,
                pubkey,
                certificate: Some(cert),
                annotation,
            })
        }
        (None, Some(text)) => {
            let Some(fingerprint) = Fingerprint::parse(&text) else {
                return Err(format!(
                    "fingerprint {text:?} is not a fingerprint; give hex pairs (AB:CD:… or \
                     abcd…) as `ccert fingerprint` prints them"
                ));
            };
            if fingerprint.algorithm != digest {
                return Err(format!(
                    "fingerprint has {} bytes, a {} fingerprint, but the digest is {digest} \
                     (smtpd_tls_fingerprint_digest); give the {digest} fingerprint",
                    fingerprint.bytes.len(),
                    fingerprint.algorithm
                ));
            }
            let annotation = Annotation::for_fingerprint(&fingerprint, pubkey, None, rules.today);
            Ok(Client {
                index,
                name,
                fingerprint,
                pubkey,
                certificate: None,
                annotation,
            })
        }
    }
}

/// The file's bytes, at most [`MAX_FILE`]; a FIFO or device is refused
/// before it is opened (it could block or never end).
fn read_bounded(path: &Path) -> Result<Vec<u8>, DesiredError> {
    let io = |source| DesiredError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(DesiredError::Malformed {
            path: path.to_path_buf(),
            line: None,
            message: format!(
                "is a {}, not a regular file",
                crate::fsutil::file_kind(&meta.file_type())
            ),
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(DesiredError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            digest: DigestAlgorithm::Sha256,
            pubkey: false,
            today: time::macros::date!(2026 - 12 - 07),
        }
    }

    fn read_text(text: &str) -> Result<Vec<Client>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clients.toml");
        std::fs::write(&path, text).unwrap();
        read(&path, rules(), &crate::cert::NoPassword)
            .map_err(|e| e.to_string().replace(&*path.to_string_lossy(), "F"))
    }

    fn fp(seed: &str) -> String {
        Fingerprint::compute(DigestAlgorithm::Sha256, seed.as_bytes()).to_string()
    }

    #[test]
    fn reads_toml_and_json_alike() {
        let (a, b) = (fp("a"), fp("b"));
        let toml = format!(
            "[[client]]\nname = \"a\"\nfingerprint = \"{a}\"\n\n[[client]]\nname = \"b\"\nfingerprint = \"{b}\"\npubkey = true\n"
        );
        let json = format!(
            "{{\"client\": [{{\"name\": \"a\", \"fingerprint\": \"{a}\"}}, {{\"name\": \"b\", \"fingerprint\": \"{b}\", \"pubkey\": true}}]}}"
        );
        for text in [toml, json] {
            let clients = read_text(&text).unwrap();
            assert_eq!(clients.len(), 2);
            assert_eq!(clients[1].name, "b");
            assert!(clients[1].pubkey && !clients[0].pubkey);
            assert_eq!(clients[0].fingerprint.to_string(), a);
        }
        assert!(read_text("").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_file_and_the_entry() {
        let a = fp("a");
        let cases = [
            (
                "[[client]]\nname = \"a\"\n",
                "F: [[client]] 1 (\"a\"): needs `certificate",
            ),
            (
                "[[client]]\nname = \"a\"\ncertificate = \"/nonexistent/a.pem\"\n",
                "F: [[client]] 1 (\"a\"): /nonexistent/a.pem: cannot read",
            ),
            (
                &format!(
                    "[[client]]\nname = \"a\"\nfingerprint = \"{a}\"\n[[client]]\nname = \"a\"\nfingerprint = \"{}\"\n",
                    fp("b")
                ),
                "F: [[client]] 2 (\"a\"): the name is also [[client]] 1's",
            ),
            (
                &format!(
                    "[[client]]\nname = \"a\"\nfingerprint = \"{a}\"\n[[client]]\nname = \"b\"\nfingerprint = \"{}\"\n",
                    a.to_lowercase()
                ),
                "F: [[client]] 2 (\"b\"): fingerprint ",
            ),
            (
                "[[client]]\nname = \"a\"\nfingerprint = \"AB:CD\"\n",
                "F: [[client]] 1 (\"a\"): fingerprint \"AB:CD\" is not a fingerprint",
            ),
            (
                "[[client]]\nname = \"a\"\nfingerprint = \"00112233445566778899AABBCCDDEEFF\"\n",
                "F: [[client]] 1 (\"a\"): fingerprint has 16 bytes, a md5 fingerprint, but the digest is sha256",
            ),
            (
                &format!("[[client]]\nfingerprint = \"{a}\"\n"),
                "F: [[client]] 1: has no name",
            ),
            (
                &format!("[[client]]\nname = \" a\"\nfingerprint = \"{a}\"\n"),
                "F: [[client]] 1 (\" a\"): name: ",
            ),
            (
                "[[client]]\nname = \"a\"\nfingerprnt = \"x\"\n",
                "F:3: not valid TOML: unknown field `fingerprnt`",
            ),
            ("[[client]\n", "F:1: not valid TOML: "),
            ("{\"client\": [}", "F:1: not valid JSON: "),
        ];
        for (text, want) in cases {
            let got = read_text(text).unwrap_err();
            assert!(got.starts_with(want), "{got}\nwanted: {want}");
            assert!(!got.contains('\n'), "one line: {got}");
        }
    }
}

//! The certificate store beside a clientcerts source (`<source>.d/`).
//!
//! `ccert add` keeps a PEM copy of every certificate it adds there, named by
//! the certificate's SHA-256 fingerprint. A fingerprint cannot be turned into
//! another digest; the certificate can, so `ccert rehash` uses the store to
//! rewrite every entry to a new digest or to public-key fingerprints, and
//! `ccert remove` drops copies no entry refers to any more.

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint, parse_certificates};
use crate::fsutil::{Permissions, TEMP_PREFIX, remove_stale_temps_in, write_atomic};

pub mod lookup;

/// The store of one source file.
#[derive(Debug, Clone)]
pub struct CertStore {
    dir: PathBuf,
}

/// A certificate in the store.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The file holding it.
    pub path: PathBuf,
    /// The certificate.
    pub cert: Certificate,
}

impl Stored {
    /// Whether `fp` is this certificate's certificate or public-key
    /// fingerprint (in `fp`'s digest).
    pub fn matches(&self, fp: &Fingerprint) -> bool {
        [false, true]
            .into_iter()
            .any(|pubkey| &self.cert.fingerprint(fp.algorithm, pubkey) == fp)
    }
}

impl CertStore {
    /// The store for `source` (`<source>.d/`); nothing is created yet.
    pub fn for_source(source: &Path) -> Self {
        let mut dir = source.as_os_str().to_owned();
        dir.push(".d");
        Self {
            dir: PathBuf::from(dir),
        }
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves a copy of `cert` (no-op when already stored). Certificates are
    /// public, so the directory is 0755 and the files 0644.
    pub fn save(&self, cert: &Certificate) -> io::Result<PathBuf> {
        let path = self.path_of(cert);
        if path.exists() {
            return Ok(path);
        }
        // A killed earlier `add` may have left a temp file here; drop it.
        remove_stale_temps_in(&self.dir, TEMP_PREFIX);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(&self.dir)?;
        let pem = pem_encode(&cert.der);
        write_atomic(
            &path,
            pem.as_bytes(),
            &Permissions {
                mode: 0o644,
                owner: None,
            },
        )?;
        Ok(path)
    }

    /// Every stored certificate; unreadable files are reported through `warn`.
    pub fn load(&self, warn: &mut dyn FnMut(String)) -> Vec<Stored> {
        let mut out = Vec::new();
        for path in pem_files(&self.dir) {
            match read_file(&path) {
                Ok((certs, _)) => out.extend(certs.into_iter().map(|cert| Stored {
                    path: path.clone(),
                    cert,
                })),
                Err(e) => warn(format!("{e}; skipped")),
            }
        }
        out
    }

    /// The stored certificates, found by fingerprint without holding a big
    /// store in memory; unreadable files are reported through `warn`.
    pub fn index(&self, warn: &mut dyn FnMut(String)) -> lookup::StoreIndex {
        lookup::StoreIndex::open(&self.dir, warn)
    }

    /// Removes the stored copies that no fingerprint in `keys` refers to
    /// (keys that are not fingerprints are ignored). Returns the removed files.
    pub fn prune(&self, keys: &[Fingerprint]) -> io::Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        for stored in self.load(&mut |_| {}) {
            if !keys.iter().any(|k| stored.matches(k)) {
                fs::remove_file(&stored.path)?;
                removed.push(stored.path);
            }
        }
        Ok(removed)
    }

    fn path_of(&self, cert: &Certificate) -> PathBuf {
        let fp = cert
            .fingerprint(DigestAlgorithm::Sha256, false)
            .to_map_key()
            .replace(':', "");
        self.dir.join(format!("{fp}.pem"))
    }
}

/// The `.pem` files of the store in `dir`, sorted (none when it does not exist).
fn pem_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    paths.sort();
    paths
}

/// The certificates in one store file and its size, or why it cannot be read.
/// Reads one stored file; the error is one line that names the file.
fn read_file(path: &Path) -> Result<(Vec<Certificate>, u64), String> {
    let bytes = crate::fsutil::read_bounded(path, crate::cert::MAX_INPUT).map_err(|e| {
        format!(
            "{}: cannot read: {}",
            path.display(),
            crate::report::describe_io(&e)
        )
    })?;
    let certs = parse_certificates(&bytes, path, &crate::cert::NoPassword)
        .map_err(|e| crate::report::chain_line(&e))?;
    Ok((certs, bytes.len() as u64))
}

/// PEM `CERTIFICATE` block for DER bytes, 64 columns as openssl writes it.
fn pem_encode(der: &[u8]) -> String {
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

//! Finding a stored certificate by one of its fingerprints, as `ccert
//! rehash` does for every entry of the source.
//!
//! A fingerprint cannot be turned back into a certificate, and the store's
//! files are named by the SHA-256 certificate fingerprint only, so entries
//! in another digest or of public keys need an index: for each digest
//! asked for, a sorted list of (32-bit hash of the fingerprint, file) over
//! the certificate and public-key fingerprints of every stored certificate;
//! a hit is then checked on the certificates themselves. A small store is
//! held parsed; a big one is read again per lookup, keeping 32 bytes per
//! file name (ccert names files by a SHA-256 digest) and 16 bytes per
//! certificate and digest asked for: under 50 MB for a million certificates.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io;
use std::path::{Path, PathBuf};

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint};

/// Up to this many certificate files (a few MB parsed), the store is held
/// parsed; a bigger one is read again per lookup.
const HOLD_FILES: usize = 5000;

/// One fingerprint of a stored certificate: its hash and the file (index
/// in [`StoreIndex::names`]) holding the certificate.
type Entry = (u32, u32);

/// The stored certificates of a [`super::CertStore`], found by fingerprint.
#[derive(Debug)]
pub struct StoreIndex {
    dir: PathBuf,
    /// The certificate files, sorted by name (the order
    /// [`super::CertStore::load`] uses, so the first match is the same).
    names: FileNames,
    /// Each file's certificates, while the store is small.
    held: Option<Vec<Vec<Certificate>>>,
    /// Per digest asked for, sorted.
    by_digest: HashMap<DigestAlgorithm, Vec<Entry>>,
}

impl StoreIndex {
    /// Reads the store in `dir` once (files it cannot read are reported
    /// through `warn`, as [`super::CertStore::load`] does, and left out).
    pub fn open(dir: &Path, warn: &mut dyn FnMut(String)) -> Self {
        let names = FileNames::collect(dir);
        let hold = names.len() <= HOLD_FILES;
        let mut held = Vec::new();
        for file in 0..names.len() {
            let path = dir.join(names.get(file as u32));
            let certs = match super::read_file(&path) {
                Ok((certs, _)) => certs,
                Err(e) => {
                    warn(format!("{e}; skipped"));
                    Vec::new()
                }
            };
            if hold {
                held.push(certs);
            }
        }
        Self {
            dir: dir.to_path_buf(),
            names,
            held: hold.then_some(held),
            by_digest: HashMap::new(),
        }
    }

    /// The index as it is for a big store: nothing held, every hit read
    /// again from its file.
    #[cfg(test)]
    pub(crate) fn unheld(mut self) -> Self {
        self.held = None;
        self
    }

    /// The first stored certificate (in file-name order) whose certificate
    /// or public-key fingerprint in `fp`'s digest is `fp`.
    pub fn find(&mut self, fp: &Fingerprint) -> io::Result<Option<Cow<'_, Certificate>>> {
        if !self.by_digest.contains_key(&fp.algorithm) {
            let entries = self.entries(fp.algorithm)?;
            self.by_digest.insert(fp.algorithm, entries);
        }
        let entries = &self.by_digest[&fp.algorithm];
        let wanted = hash(&fp.bytes);
        let from = entries.partition_point(|e| e.0 < wanted);
        let matches = |cert: &Certificate| {
            [false, true]
                .into_iter()
                .any(|pubkey| &cert.fingerprint(fp.algorithm, pubkey) == fp)
        };
        // Candidates in file order; in a file, its certificates in order.
        for &(h, file) in &entries[from..] {
            if h != wanted {
                break;
            }
            let found = match &self.held {
                Some(held) => held
                    .get(file as usize)
                    .and_then(|certs| certs.iter().find(|c| matches(c)))
                    .map(Cow::Borrowed),
                None => self.read(file)?.into_iter().find(matches).map(Cow::Owned),
            };
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// The index of `algorithm`'s fingerprints, sorted.
    fn entries(&self, algorithm: DigestAlgorithm) -> io::Result<Vec<Entry>> {
        let mut entries = Vec::with_capacity(2 * self.names.len());
        let mut add = |file: usize, certs: &[Certificate]| {
            for cert in certs {
                for pubkey in [false, true] {
                    let fp = cert.fingerprint(algorithm, pubkey);
                    entries.push((hash(&fp.bytes), file as u32));
                }
            }
        };
        match &self.held {
            Some(held) => held
                .iter()
                .enumerate()
                .for_each(|(file, certs)| add(file, certs)),
            None => {
                for file in 0..self.names.len() {
                    // An unreadable file was reported when the store was opened.
                    if let Ok(certs) = self.read(file as u32) {
                        add(file, &certs);
                    }
                }
            }
        }
        entries.sort_unstable();
        entries.dedup();
        Ok(entries)
    }

    /// The certificates of file `file`, read again.
    fn read(&self, file: u32) -> io::Result<Vec<Certificate>> {
        let path = self.dir.join(self.names.get(file));
        super::read_file(&path)
            .map(|(certs, _)| certs)
            .map_err(io::Error::other)
    }
}

/// A fingerprint's hash in the index: 32 bits (a rare false hit costs a
/// check, never a wrong answer).
fn hash(bytes: &[u8]) -> u32 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(bytes) as u32
}

/// The store's file names in 32 bytes each: ccert's names
/// (`<64 lower-case hex digits>.pem`) as the digest they spell, any other
/// name kept as it is.
#[derive(Debug, Default)]
struct FileNames {
    digests: Vec<[u8; 32]>,
    others: HashMap<u32, OsString>,
}

impl FileNames {
    /// The `.pem` files in `dir`, sorted by name (none when it does not
    /// exist), without holding a path per file.
    fn collect(dir: &Path) -> Self {
        let mut digests = Vec::new();
        let mut others = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            if Path::new(&name).extension().is_none_or(|x| x != "pem") {
                continue;
            }
            match digest_of(&name) {
                Some(digest) => digests.push(digest),
                None => others.push(name),
            }
        }
        // Lower-case hex sorts as the bytes it spells.
        digests.sort_unstable();
        if others.is_empty() {
            return Self {
                digests,
                others: HashMap::new(),
            };
        }
        others.sort();
        let mut merged = Self::default();
        let mut others = others.into_iter().peekable();
        for digest in digests {
            let name = OsString::from(hex_name(&digest));
            while let Some(other) = others.next_if(|o| *o < name) {
                merged.push_other(other);
            }
            merged.digests.push(digest);
        }
        others.for_each(|other| merged.push_other(other));
        merged
    }

    fn push_other(&mut self, name: OsString) {
        self.others.insert(self.digests.len() as u32, name);
        self.digests.push([0; 32]);
    }

    fn len(&self) -> usize {
        self.digests.len()
    }

    fn get(&self, file: u32) -> OsString {
        match self.others.get(&file) {
            Some(name) => name.clone(),
            None => hex_name(&self.digests[file as usize]).into(),
        }
    }
}

/// The digest a name ccert writes (`<64 lower-case hex digits>.pem`) spells.
fn digest_of(name: &OsStr) -> Option<[u8; 32]> {
    let hex = name.to_str()?.strip_suffix(".pem")?;
    if hex.len() != 64 || !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let value = |c: u8| if c <= b'9' { c - b'0' } else { c - b'a' + 10 };
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = (value(pair[0]) << 4) | value(pair[1]);
    }
    Some(digest)
}

/// The file name of `digest`, as ccert writes it.
fn hex_name(digest: &[u8; 32]) -> String {
    let mut name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    name.push_str(".pem");
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certstore::CertStore;

    /// Every fingerprint of every stored certificate finds it, held or
    /// read again per lookup; other fingerprints find nothing.
    #[test]
    fn finds_by_every_fingerprint_held_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = CertStore::for_source(&dir.path().join("clientcerts"));
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut certs = Vec::new();
        for name in ["rsa.pem", "ecdsa.pem", "ed25519.pem"] {
            let cert =
                crate::cert::read_certificates(&fixtures.join(name), &crate::cert::NoPassword)
                    .unwrap()
                    .remove(0);
            store.save(&cert).unwrap();
            certs.push(cert);
        }
        std::fs::write(store.dir().join("broken.pem"), b"not a certificate").unwrap();
        // A name ccert does not write is read all the same.
        let pem = std::fs::read(fixtures.join("ed25519.pem")).unwrap();
        std::fs::write(store.dir().join("Hand Copied.pem"), pem).unwrap();
        for hold in [true, false] {
            let mut warnings = Vec::new();
            let mut index = StoreIndex::open(store.dir(), &mut |w| warnings.push(w));
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(
                warnings[0].contains("broken.pem: no certificate found")
                    && warnings[0].ends_with("; skipped"),
                "{warnings:?}"
            );
            if !hold {
                index = index.unheld();
            }
            assert_eq!(index.names.len(), 5);
            for (file, name) in pem_names(store.dir()).iter().enumerate() {
                assert_eq!(&index.names.get(file as u32), name);
            }
            for cert in &certs {
                for digest in DigestAlgorithm::ALL {
                    for pubkey in [false, true] {
                        let fp = cert.fingerprint(digest, pubkey);
                        let found = index.find(&fp).unwrap().expect("stored");
                        assert_eq!(found.der, cert.der);
                    }
                }
            }
            let other = Fingerprint::compute(DigestAlgorithm::Sha256, b"none");
            assert!(index.find(&other).unwrap().is_none());
        }
    }

    fn pem_names(dir: &Path) -> Vec<OsString> {
        crate::certstore::pem_files(dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect()
    }
}

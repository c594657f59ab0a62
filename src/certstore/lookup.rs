//! Finding a stored certificate by one of its fingerprints, as `ccert
//! rehash` does for every entry of the source.
//!
//! A fingerprint cannot be turned back into a certificate, and the store's
//! files are named by the SHA-256 certificate fingerprint only, so entries
//! in another digest or of public keys need an index: for each digest
//! asked for, a sorted list of (hash of the fingerprint, file, certificate
//! in the file) over the certificate and public-key fingerprints of every
//! stored certificate. A small store is held parsed; a big one is read
//! again per lookup, so memory stays a few dozen bytes per stored
//! certificate whatever the store's size.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io;
use std::path::{Path, PathBuf};

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint};

/// Up to this many bytes of certificate files, the store is held parsed.
const HOLD_BYTES: u64 = 16 << 20;

/// One fingerprint of a stored certificate: its hash, the file (index in
/// [`StoreIndex::files`]) and the certificate's place in that file.
type Entry = (u64, u32, u32);

/// The stored certificates of a [`super::CertStore`], found by fingerprint.
#[derive(Debug)]
pub struct StoreIndex {
    dir: PathBuf,
    /// The readable certificate files, sorted by name (the order
    /// [`super::CertStore::load`] uses, so the first match is the same).
    files: Vec<OsString>,
    /// Each file's certificates, while the store is small.
    held: Option<Vec<Vec<Certificate>>>,
    /// Per digest asked for, sorted.
    by_digest: HashMap<DigestAlgorithm, Vec<Entry>>,
}

impl StoreIndex {
    /// Reads the store in `dir` once (files it cannot read are reported
    /// through `warn`, as [`super::CertStore::load`] does, and left out).
    pub fn open(dir: &Path, warn: &mut dyn FnMut(String)) -> Self {
        let mut index = Self {
            dir: dir.to_path_buf(),
            files: Vec::new(),
            held: Some(Vec::new()),
            by_digest: HashMap::new(),
        };
        let mut bytes = 0u64;
        for path in super::pem_files(dir) {
            match super::read_file(&path) {
                Ok((certs, size)) => {
                    bytes += size;
                    if bytes > HOLD_BYTES {
                        index.held = None;
                    }
                    if let Some(held) = index.held.as_mut() {
                        held.push(certs);
                    }
                    if let Some(name) = path.file_name() {
                        index.files.push(name.to_owned());
                    }
                }
                Err(e) => warn(format!("{}: skipped: {e}", path.display())),
            }
        }
        index
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
        for &(h, file, place) in &entries[from..] {
            if h != wanted {
                break;
            }
            let found = match &self.held {
                Some(held) => held
                    .get(file as usize)
                    .and_then(|certs| certs.get(place as usize))
                    .map(Cow::Borrowed),
                None => self
                    .read(file)?
                    .into_iter()
                    .nth(place as usize)
                    .map(Cow::Owned),
            };
            if let Some(cert) = found
                && [false, true]
                    .into_iter()
                    .any(|pubkey| &cert.fingerprint(fp.algorithm, pubkey) == fp)
            {
                return Ok(Some(cert));
            }
        }
        Ok(None)
    }

    /// The index of `algorithm`'s fingerprints, sorted.
    fn entries(&self, algorithm: DigestAlgorithm) -> io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        let mut add = |file: usize, certs: &[Certificate]| {
            for (place, cert) in certs.iter().enumerate() {
                for pubkey in [false, true] {
                    let fp = cert.fingerprint(algorithm, pubkey);
                    entries.push((hash(&fp.bytes), file as u32, place as u32));
                }
            }
        };
        match &self.held {
            Some(held) => held
                .iter()
                .enumerate()
                .for_each(|(file, certs)| add(file, certs)),
            None => {
                for file in 0..self.files.len() {
                    add(file, &self.read(file as u32)?);
                }
            }
        }
        entries.sort_unstable();
        entries.dedup();
        Ok(entries)
    }

    /// The certificates of file `file`, read again.
    fn read(&self, file: u32) -> io::Result<Vec<Certificate>> {
        let path = self.dir.join(&self.files[file as usize]);
        super::read_file(&path)
            .map(|(certs, _)| certs)
            .map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
    }
}

fn hash(bytes: &[u8]) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(bytes)
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
            let cert = crate::cert::read_certificates(&fixtures.join(name))
                .unwrap()
                .remove(0);
            store.save(&cert).unwrap();
            certs.push(cert);
        }
        std::fs::write(store.dir().join("broken.pem"), b"not a certificate").unwrap();
        for hold in [true, false] {
            let mut warnings = Vec::new();
            let mut index = StoreIndex::open(store.dir(), &mut |w| warnings.push(w));
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(
                warnings[0].contains("broken.pem: skipped: "),
                "{warnings:?}"
            );
            if !hold {
                index.held = None;
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
}

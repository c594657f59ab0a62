//! Editable list stores that are not a source file: the client-certificate
//! list kept in a database Postfix queries directly (`pgsql:` now; `mysql:`
//! and `ldap:` can follow behind the same [`ListStore`] trait).
//!
//! A source file is edited line by line, keeping every comment; a database
//! keeps one row per fingerprint with the facts ccert's comment line records
//! for a file entry (digest, cert or pubkey, notAfter, subject) plus the
//! certificate itself, who added it and when. The commands (add, remove,
//! list, rehash, query, dump, import, sync) see both through the same
//! vocabulary: [`StoredEntry`], [`NewEntry`], [`Selector`].

pub mod pgsql;

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint};
use crate::maps::prepare::fold_key;
pub use crate::source::edit::Outcome;

/// One entry as a store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The key, lower case as Postfix queries it (`ab:cd:…`).
    pub fingerprint: String,
    /// The value (the host's name).
    pub name: String,
    /// The digest of the fingerprint.
    pub digest: Option<DigestAlgorithm>,
    /// Whether it is a public-key fingerprint.
    pub pubkey: Option<bool>,
    /// The certificate's notAfter.
    pub not_after: Option<OffsetDateTime>,
    /// The certificate's subject.
    pub subject: Option<String>,
    /// The certificate (DER), so the entry can be re-digested.
    pub certificate: Option<Vec<u8>>,
    /// Who added it (`user@host`).
    pub added_by: Option<String>,
    /// When it was added.
    pub added_at: Option<OffsetDateTime>,
}

/// An entry to add.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The fingerprint.
    pub fingerprint: Fingerprint,
    /// The name (already checked with [`crate::source::check_value`]).
    pub name: String,
    /// Whether `fingerprint` is of the public key.
    pub pubkey: bool,
    /// The certificate, when known (not for `add --fingerprint` or imports without a copy).
    pub certificate: Option<Certificate>,
    /// notAfter when there is no certificate but it was recorded (imports).
    pub not_after: Option<OffsetDateTime>,
    /// Subject when there is no certificate but it was recorded (imports).
    pub subject: Option<String>,
    /// When it was added, if known (imports keep the date of the comment line).
    pub added_at: Option<OffsetDateTime>,
}

impl NewEntry {
    /// The entry for `fingerprint` under `name`, with the certificate it was
    /// taken from when there is one (`add --fingerprint` has none).
    pub fn new(
        fingerprint: Fingerprint,
        name: String,
        pubkey: bool,
        certificate: Option<Certificate>,
    ) -> Self {
        Self {
            fingerprint,
            name,
            pubkey,
            certificate,
            not_after: None,
            subject: None,
            added_at: None,
        }
    }
}

impl StoredEntry {
    /// Whether the certificate is known to expire at or before `cutoff`
    /// (an entry without a recorded notAfter never is).
    pub fn expires_by(&self, cutoff: OffsetDateTime) -> bool {
        self.not_after.is_some_and(|t| t <= cutoff)
    }
}

/// What [`ListStore::apply`] did (or would do).
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    /// One outcome per wanted entry.
    pub outcomes: Vec<Outcome>,
    /// The rows removed, by fingerprint.
    pub removed: Vec<StoredEntry>,
}

/// Which entries to remove.
#[derive(Debug, Clone)]
pub enum Selector {
    /// Entries whose name is this.
    Name(String),
    /// Entries whose key is one of these fingerprints.
    Fingerprints(Vec<Fingerprint>),
}

/// Errors of a store. Each names the store's configuration file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The configuration file is wrong.
    #[error(transparent)]
    Config(#[from] pgsql::cf::CfError),
    /// Cannot connect, schema missing, statement failed, …: one line saying what to do.
    #[error("{cf}: {message}")]
    Database {
        /// The configuration file.
        cf: PathBuf,
        /// What went wrong and what to do.
        message: String,
    },
    /// An edit was refused; nothing changed.
    #[error("{cf}: {message}")]
    Refused {
        /// The configuration file.
        cf: PathBuf,
        /// Why, and what to do.
        message: String,
    },
}

/// Result of a rehash.
#[derive(Debug, Clone, Default)]
pub struct RehashReport {
    /// Entries rewritten.
    pub changed: usize,
    /// Entries looked at.
    pub total: usize,
}

/// A list of client certificates that ccert edits in place, one
/// transaction per edit, safe against concurrent editors.
pub trait ListStore {
    /// The name Postfix uses for it (`pgsql:/etc/postfix/clientcerts.pgsql.cf`).
    fn postfix_name(&self) -> String;

    /// The configuration file, for messages.
    fn config_path(&self) -> &Path;

    /// Adds `entries` in one transaction, by the rule every list shares
    /// ([`crate::source::edit::decide`]): one outcome per entry, as for a
    /// source file (lines are `None`). A fingerprint present with another
    /// name is renamed with `replace`; else its outcome is
    /// [`Outcome::OtherName`] and the transaction is rolled back: nothing
    /// changes.
    fn add(&mut self, entries: &[NewEntry], replace: bool) -> Result<Vec<Outcome>, StoreError>;

    /// Makes the list hold exactly `entries` (`ccert apply`), in one
    /// transaction: missing ones added, others renamed (the rule of
    /// [`Self::add`] with replacing), rows no entry names removed. Every row
    /// of a database list is ccert's. With `check` the transaction is rolled
    /// back: the report says what would change.
    fn apply(&mut self, entries: &[NewEntry], check: bool) -> Result<ApplyReport, StoreError>;

    /// Removes the selected entries in one transaction, after `confirm`
    /// approved the list (returning `false` changes nothing). Returns what
    /// was removed; an empty selection is an error.
    fn remove(
        &mut self,
        selector: &Selector,
        confirm: &mut dyn FnMut(&[StoredEntry]) -> bool,
    ) -> Result<Vec<StoredEntry>, StoreError>;

    /// Every entry, ordered by name then fingerprint.
    fn entries(&mut self) -> Result<Vec<StoredEntry>, StoreError>;

    /// The name stored for a (folded) key.
    fn lookup(&mut self, key: &str) -> Result<Option<String>, StoreError>;

    /// The name stored for `key` as Postfix looks it up: folded to lower
    /// case as for every other table ([`fold_key`]); an empty key is never
    /// found (as `postmap -q ''`).
    fn query(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        if key.is_empty() {
            return Ok(None);
        }
        // Folding valid UTF-8 gives valid UTF-8 (see fold_key).
        let folded = String::from_utf8_lossy(&fold_key(key.as_bytes())).into_owned();
        self.lookup(&folded)
    }

    /// Every entry in key order (as `dump` prints them).
    fn entries_by_fingerprint(&mut self) -> Result<Vec<StoredEntry>, StoreError> {
        let mut entries = self.entries()?;
        entries.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Ok(entries)
    }

    /// Rewrites every entry to `digest` (public-key fingerprints with
    /// `pubkey`) from the stored certificates, in one transaction.
    fn rehash(&mut self, digest: DigestAlgorithm, pubkey: bool)
    -> Result<RehashReport, StoreError>;

    /// A counter that changes with every change of the list, and the
    /// store's identity (a recreated database starts a new identity).
    fn generation(&mut self) -> Result<(String, i64), StoreError>;
}

/// Recognises a map name that is a store, not a file: `pgsql:/path.cf`,
/// also behind `proxy:`. Returns the configuration file.
pub fn store_config(map: &str) -> Option<PathBuf> {
    crate::postfix::TableRef::parse(map).pgsql_cf()
}

/// Opens the store named `map` (see [`store_config`]).
pub fn open(map: &str) -> Option<Result<Box<dyn ListStore>, StoreError>> {
    let cf = store_config(map)?;
    Some(pgsql::PgsqlStore::open(&cf).map(|s| Box::new(s) as Box<dyn ListStore>))
}

/// The start of the first line of a file `ccert sync` writes.
pub const SYNC_HEADER: &str = "# ccert sync:";

/// The first line of a file `ccert sync` writes from the list `map` (`pgsql:CF`)
/// at `generation` of the database `id`.
pub fn sync_header(id: &str, generation: i64, map: &str) -> String {
    format!("{SYNC_HEADER} database={id} generation={generation} from={map}")
}

/// The list a file was copied from by `ccert sync` (`pgsql:CF`), read from
/// its first line; `None` for any other file.
pub fn synced_from(path: &Path) -> Option<String> {
    use std::io::Read as _;
    // Only a regular file can be a sync copy; opening a FIFO would block
    // before the reader's own check refuses it.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut head = Vec::new();
    crate::fsutil::open_regular(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let first = head.split(|&b| b == b'\n').next()?;
    let rest = std::str::from_utf8(first).ok()?.strip_prefix(SYNC_HEADER)?;
    let from = rest.split(' ').find_map(|f| f.strip_prefix("from="))?;
    store_config(from).map(|_| from.to_string())
}

/// `user@host` of the person running ccert, for the `added_by` column.
pub fn who() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| format!("uid{}", crate::sys::euid()));
    let host = crate::sys::hostname().unwrap_or_else(|| "unknown".to_string());
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store with fixed entries; edits are not needed here.
    struct Fixed(Vec<StoredEntry>);

    impl ListStore for Fixed {
        fn postfix_name(&self) -> String {
            "pgsql:/test.cf".into()
        }
        fn config_path(&self) -> &Path {
            Path::new("/test.cf")
        }
        fn add(&mut self, _: &[NewEntry], _: bool) -> Result<Vec<Outcome>, StoreError> {
            unreachable!("not used by these tests")
        }
        fn apply(&mut self, _: &[NewEntry], _: bool) -> Result<ApplyReport, StoreError> {
            unreachable!("not used by these tests")
        }
        fn remove(
            &mut self,
            _: &Selector,
            _: &mut dyn FnMut(&[StoredEntry]) -> bool,
        ) -> Result<Vec<StoredEntry>, StoreError> {
            unreachable!("not used by these tests")
        }
        fn entries(&mut self) -> Result<Vec<StoredEntry>, StoreError> {
            Ok(self.0.clone())
        }
        fn lookup(&mut self, key: &str) -> Result<Option<String>, StoreError> {
            Ok(self
                .0
                .iter()
                .find(|e| e.fingerprint == key)
                .map(|e| e.name.clone()))
        }
        fn rehash(&mut self, _: DigestAlgorithm, _: bool) -> Result<RehashReport, StoreError> {
            unreachable!("not used by these tests")
        }
        fn generation(&mut self) -> Result<(String, i64), StoreError> {
            unreachable!("not used by these tests")
        }
    }

    fn entry(fingerprint: &str, name: &str, not_after: Option<OffsetDateTime>) -> StoredEntry {
        StoredEntry {
            fingerprint: fingerprint.into(),
            name: name.into(),
            digest: None,
            pubkey: None,
            not_after,
            subject: None,
            certificate: None,
            added_by: None,
            added_at: None,
        }
    }

    #[test]
    fn query_folds_the_key_and_never_finds_an_empty_one() {
        let mut store = Fixed(vec![
            entry("ab:cd", "laptop", None),
            entry("", "empty", None),
        ]);
        assert_eq!(store.query("AB:CD").unwrap().as_deref(), Some("laptop"));
        assert_eq!(store.query("").unwrap(), None);
    }

    #[test]
    fn entries_by_fingerprint_are_in_key_order() {
        let mut store = Fixed(vec![entry("cd", "b", None), entry("ab", "a", None)]);
        let keys: Vec<String> = store
            .entries_by_fingerprint()
            .unwrap()
            .into_iter()
            .map(|e| e.fingerprint)
            .collect();
        assert_eq!(keys, ["ab", "cd"]);
    }

    #[test]
    fn only_a_recorded_not_after_expires() {
        let now = OffsetDateTime::now_utc();
        assert!(entry("ab", "a", Some(now)).expires_by(now));
        assert!(!entry("ab", "a", Some(now + time::Duration::days(2))).expires_by(now));
        assert!(!entry("ab", "a", None).expires_by(now));
    }
}

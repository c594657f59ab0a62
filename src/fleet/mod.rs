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

/// A revoked fingerprint in a database list (`ccert revoke`): Postfix
/// servers querying the database answer REJECT for it, and `sync` copies
/// it into the local deny table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The key, lower case as Postfix queries it.
    pub fingerprint: String,
    /// The name of the entry it was (for ccert's comment).
    pub name: String,
    /// The reason (`--reason`), already checked for an SMTP reply.
    pub reason: Option<String>,
}

impl Revocation {
    /// The access(5) action the deny table holds for it.
    pub fn action(&self) -> String {
        match &self.reason {
            Some(r) => format!("{}: {r}", crate::revocation::REJECT),
            None => crate::revocation::REJECT.to_string(),
        }
    }
}

/// What [`ListStore::revoke`] did: the entries removed and the
/// revocations recorded.
pub type Revoked = (Vec<StoredEntry>, Vec<Revocation>);

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

    /// `ccert revoke` in one transaction: the entries `select` picks are
    /// removed and the revocations `deny` makes of them are recorded
    /// (an existing revocation of a fingerprint is kept as it is), after
    /// `confirm` approved both (returning `false` changes nothing and
    /// gives `None`). A list that keeps no revocations refuses.
    fn revoke(
        &mut self,
        select: &mut dyn FnMut(&StoredEntry) -> bool,
        deny: &mut dyn FnMut(&[StoredEntry]) -> Vec<Revocation>,
        confirm: &mut dyn FnMut(&[StoredEntry], &[Revocation]) -> bool,
    ) -> Result<Option<Revoked>, StoreError> {
        let _ = (select, deny, confirm);
        Err(StoreError::Refused {
            cf: self.config_path().to_path_buf(),
            message: "this list keeps no revocations".into(),
        })
    }

    /// Every revocation, by fingerprint (`sync` copies them into the local
    /// deny table).
    fn revocations(&mut self) -> Result<Vec<Revocation>, StoreError> {
        Ok(Vec::new())
    }

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

    /// Hands every entry, in `order`, to `each` one at a time, until `each`
    /// returns `false`; a database list streams its rows, so memory stays
    /// small whatever the list's size (docs/fleet.md#memory-at-fleet-scale).
    fn each_entry(
        &mut self,
        order: EntryOrder,
        each: &mut dyn FnMut(StoredEntry) -> bool,
    ) -> Result<(), StoreError> {
        let entries = match order {
            EntryOrder::Name => self.entries()?,
            EntryOrder::Fingerprint => self.entries_by_fingerprint()?,
        };
        for e in entries {
            if !each(e) {
                break;
            }
        }
        Ok(())
    }

    /// Rewrites every entry to `digest` (public-key fingerprints with
    /// `pubkey`) from the stored certificates, in one transaction.
    fn rehash(&mut self, digest: DigestAlgorithm, pubkey: bool)
    -> Result<RehashReport, StoreError>;

    /// Sets what to call once when an edit finds the list held by another
    /// session and starts waiting for it (a notice on a terminal).
    fn on_wait(&mut self, _notice: Box<dyn FnMut()>) {}
}

/// The order [`ListStore::each_entry`] hands entries in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOrder {
    /// By name, then fingerprint (`list`).
    Name,
    /// By fingerprint (`dump`, `sync`).
    Fingerprint,
}

/// The one check every entry passes before it enters a list, whatever the
/// path (`add`, `add --fingerprint`, `import`, `log --approve`): the name
/// must be one postmap stores exactly as written
/// ([`crate::source::check_value`]), or `sync` could not write it to a
/// source file and the sync servers would differ from the database.
pub fn check_entry(entry: &NewEntry) -> Result<(), crate::source::EditError> {
    crate::source::check_value(entry.name.as_bytes())
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

/// What the first line of a file `ccert sync` writes records: which list it
/// was copied from, and what that list held (docs/fleet.md#sync).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncHeader {
    /// The database's id (`ccert_state.database_id`): a re-created or
    /// another database has another one.
    pub database: String,
    /// The generation counter at the copy.
    pub generation: i64,
    /// How many entries the list held (absent in copies of older ccert runs).
    pub entries: Option<u64>,
    /// The content digest of the list ([`ListState::digest`]; absent in
    /// copies of older ccert runs).
    pub digest: Option<String>,
    /// The list, as Postfix names it (`pgsql:CF`). Last on the line, so it
    /// may hold spaces.
    pub from: String,
}

impl SyncHeader {
    /// The header for a copy of `state`, read from `from`.
    pub fn new(state: &ListState, from: &str) -> Self {
        Self {
            database: state.database_id.clone(),
            generation: state.generation,
            entries: Some(state.entries),
            digest: Some(state.digest.clone()),
            from: from.to_string(),
        }
    }

    /// Reads a first line (without its line ending); `None` when it is not
    /// sync's.
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.strip_prefix(SYNC_HEADER)?.trim_start();
        let (fields, from) = rest.split_once("from=")?;
        let mut header = Self {
            database: String::new(),
            generation: 0,
            entries: None,
            digest: None,
            from: from.to_string(),
        };
        for field in fields.split_whitespace() {
            match field.split_once('=')? {
                ("database", v) => header.database = v.to_string(),
                ("generation", v) => header.generation = v.parse().ok()?,
                ("entries", v) => header.entries = Some(v.parse().ok()?),
                ("digest", v) => header.digest = Some(v.to_string()),
                // A field of a newer ccert: not ours to judge.
                _ => {}
            }
        }
        (!header.database.is_empty()).then_some(header)
    }

    /// Whether the copy holds exactly what `state` describes: same database,
    /// generation, number of entries and content digest. The digest is what
    /// makes this safe: a backup restore followed by as many edits as were
    /// lost, a disabled trigger or a logical-replication subscriber leave the
    /// generation as it was, never the content.
    pub fn matches(&self, state: &ListState) -> bool {
        self.database == state.database_id
            && self.generation == state.generation
            && self.entries == Some(state.entries)
            && self.digest.as_deref() == Some(state.digest.as_str())
    }
}

impl std::fmt::Display for SyncHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{SYNC_HEADER} database={} generation={}",
            self.database, self.generation
        )?;
        if let Some(n) = self.entries {
            write!(f, " entries={n}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, " digest={d}")?;
        }
        write!(f, " from={}", self.from)
    }
}

/// What a list holds, in a few words: its identity, its generation, and
/// its content as a count and a digest (computed by the database from every
/// row, so no trigger is needed for it to change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState {
    /// The database's id.
    pub database_id: String,
    /// The generation counter (bumped by triggers).
    pub generation: i64,
    /// How many entries.
    pub entries: u64,
    /// A digest of every entry's fingerprint, name and the facts a copy's
    /// comment lines record, independent of row order.
    pub digest: String,
    /// The last removal of most of the list that ccert itself made (`remove`,
    /// `apply`): the generation it left and how many entries it left. `sync`
    /// takes such a shrink without `--allow-shrink` when it happened after
    /// its copy (docs/fleet.md, "What sync refuses and why").
    pub deliberate_shrink: Option<DeliberateShrink>,
}

/// A removal of more than half the list made by ccert, recorded in the
/// database in the same transaction (see [`ListState::deliberate_shrink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliberateShrink {
    /// The generation right after the removal.
    pub generation: i64,
    /// The entries left.
    pub entries: u64,
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
    let from = SyncHeader::parse(std::str::from_utf8(first).ok()?)?.from;
    store_config(&from).map(|_| from)
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
    fn sync_headers_read_back_and_old_ones_lack_count_and_digest() {
        let state = ListState {
            database_id: "5d0c-id".into(),
            generation: 42,
            entries: 3,
            digest: "0123abcd".into(),
            deliberate_shrink: None,
        };
        let header = SyncHeader::new(&state, "pgsql:/etc/postfix/my lists/a.cf");
        let line = header.to_string();
        assert_eq!(
            line,
            "# ccert sync: database=5d0c-id generation=42 entries=3 digest=0123abcd \
             from=pgsql:/etc/postfix/my lists/a.cf"
        );
        assert_eq!(SyncHeader::parse(&line), Some(header.clone()));
        assert!(header.matches(&state));
        let other = ListState {
            digest: "ffff".into(),
            ..state.clone()
        };
        assert!(!header.matches(&other));
        // A copy from an older ccert: no count, no digest, never "up to date".
        let old =
            SyncHeader::parse("# ccert sync: database=5d0c-id generation=42 from=pgsql:/a.cf")
                .unwrap();
        assert_eq!((old.entries, old.digest.as_deref()), (None, None));
        assert_eq!(old.from, "pgsql:/a.cf");
        assert!(!old.matches(&state));
        assert_eq!(SyncHeader::parse("# a comment"), None);
        assert_eq!(
            SyncHeader::parse("# ccert sync: generation=x from=pgsql:/a.cf"),
            None
        );
    }

    #[test]
    fn only_a_recorded_not_after_expires() {
        let now = OffsetDateTime::now_utc();
        assert!(entry("ab", "a", Some(now)).expires_by(now));
        assert!(!entry("ab", "a", Some(now + time::Duration::days(2))).expires_by(now));
        assert!(!entry("ab", "a", None).expires_by(now));
    }
}

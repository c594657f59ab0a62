//! The client-certificate list in PostgreSQL, read by Postfix through
//! `pgsql:/etc/postfix/clientcerts.pgsql.cf` (pgsql_table(5)).
//!
//! * [`cf`]: the `.cf` file, shared with Postfix; [`uri`]: its URI hosts.
//! * [`connect`]: the connection (hosts in order, TLS per `sslmode`).
//! * [`schema`]: tables, generation triggers, migrations.
//! * [`init`]: `ccert db init` (schema and `.cf`); [`passfile`]: the
//!   password file a URI host names instead of holding the password.
//!
//! Every statement is parameterised; every edit is one transaction that
//! first locks the `ccert_state` row, so edits from many hosts take turns
//! and none is lost.

pub mod cf;
pub mod connect;
pub mod init;
pub mod passfile;
pub mod schema;
pub mod uri;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use postgres::{Client, GenericClient, Row};
use time::OffsetDateTime;

use super::{
    ApplyReport, DeliberateShrink, EntryOrder, ListState, ListStore, NewEntry, Outcome,
    RehashReport, Revocation, Revoked, Selector, StoreError, StoredEntry, who,
};
use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::source::edit::decide;
use cf::PgsqlCf;

/// Columns read into a [`StoredEntry`], in [`entry_from_row`]'s order.
const COLUMNS: &str =
    "fingerprint, name, digest, kind, not_after, subject, certificate, added_by, added_at";

/// A `pgsql:` list.
pub struct PgsqlStore {
    cf: PgsqlCf,
    client: Client,
    /// Called once when an edit finds the list locked by another session
    /// and starts to wait (the command edge prints a notice on a terminal).
    on_wait: Option<Box<dyn FnMut()>>,
}

/// What [`PgsqlStore::import`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows inserted.
    pub added: u64,
    /// Fingerprints already present with the same name.
    pub present: u64,
    /// Fingerprints already present under another name (kept as they were).
    pub conflicting: u64,
    /// The first [`CONFLICTS_LISTED`] of them, by fingerprint:
    /// `(fingerprint, name in the database, name in the source)`.
    pub conflicts: Vec<(String, String, String)>,
}

impl PgsqlStore {
    /// Reads `cf`, connects and checks the schema (migrating an older one in place).
    pub fn open(cf_path: &Path) -> Result<Self, StoreError> {
        let cf = PgsqlCf::read(cf_path)?;
        let mut client = connect::connect(&cf).map_err(|m| db_err(cf_path, m))?;
        match schema::found(&mut client).map_err(|e| sql_err(cf_path, &e))? {
            schema::Found::Missing => {
                return Err(db_err(
                    cf_path,
                    format!(
                        "the database has no ccert tables; create them with `ccert db init \
                         pgsql:{}`",
                        cf_path.display()
                    ),
                ));
            }
            schema::Found::Version(v) if v != schema::CURRENT => {
                schema::create_or_migrate(&mut client)
                    .map_err(|e| sql_err(cf_path, &e))?
                    .map_err(|m| db_err(cf_path, m))?;
            }
            schema::Found::Version(_) => {}
        }
        schema::check_shape(&mut client)
            .map_err(|e| sql_err(cf_path, &e))?
            .map_err(|m| db_err(cf_path, m))?;
        Ok(Self {
            cf,
            client,
            on_wait: None,
        })
    }

    /// The parsed `.cf` file.
    pub fn cf(&self) -> &PgsqlCf {
        &self.cf
    }

    /// The open connection (doctor runs Postfix's query through it).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Loads `entries` (source order; the first of duplicate fingerprints
    /// wins, as postmap) in one transaction through COPY; entries already
    /// present are left as they are, so importing twice changes nothing.
    /// Entries stream to the server as they come, so memory stays small
    /// whatever their number. An `Err` item (the source could not be read,
    /// a name is refused) rolls everything back and is returned as a
    /// refusal with its text, which says that nothing was imported.
    pub fn import<E: std::fmt::Display>(
        &mut self,
        entries: impl Iterator<Item = Result<NewEntry, E>>,
    ) -> Result<ImportReport, StoreError> {
        let path = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx, &mut self.on_wait).map_err(err)?;
        tx.batch_execute(
            "CREATE TEMP TABLE ccert_import (
                ord bigint, fingerprint text, name text, digest text, kind text,
                not_after timestamptz, subject text, certificate bytea, added_at timestamptz
             ) ON COMMIT DROP",
        )
        .map_err(err)?;
        let by = who();
        {
            let mut writer = tx.copy_in("COPY ccert_import FROM STDIN").map_err(err)?;
            let mut buf = Vec::with_capacity(1 << 16);
            for (ord, e) in entries.enumerate() {
                let e = e.map_err(|e| StoreError::Refused {
                    cf: path.clone(),
                    message: e.to_string(),
                })?;
                // The one check of every path into the list, entry by entry
                // as they stream; a refusal rolls everything back.
                check_entries(&path, std::slice::from_ref(&e))?;
                copy_row(&mut buf, ord, &e);
                if buf.len() > (1 << 16) {
                    writer
                        .write_all(&buf)
                        .map_err(|e| db_err(&path, format!("sending rows: {e}")))?;
                    buf.clear();
                }
            }
            writer
                .write_all(&buf)
                .map_err(|e| db_err(&path, format!("sending rows: {e}")))?;
            writer.finish().map_err(err)?;
        }
        // The first row of each fingerprint, sorted once, is what counts (postmap's rule).
        let distinct = tx
            .execute(
                "CREATE TEMP TABLE ccert_first ON COMMIT DROP AS
                 SELECT DISTINCT ON (fingerprint) * FROM ccert_import ORDER BY fingerprint, ord",
                &[],
            )
            .map_err(err)?;
        let conflicting: i64 = tx
            .query_one(
                "SELECT count(*) FROM ccert_first f JOIN ccert_clientcerts c USING (fingerprint)
                 WHERE c.name <> f.name",
                &[],
            )
            .map_err(err)?
            .get(0);
        // Listed up to a bound: a source full of renames must not fill memory.
        let conflicts = tx
            .query(
                "SELECT f.fingerprint, c.name, f.name
                 FROM ccert_first f JOIN ccert_clientcerts c USING (fingerprint)
                 WHERE c.name <> f.name ORDER BY f.fingerprint LIMIT $1",
                &[&(CONFLICTS_LISTED as i64)],
            )
            .map_err(err)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect::<Vec<(String, String, String)>>();
        let added = tx
            .execute(
                "INSERT INTO ccert_clientcerts
                   (fingerprint, name, digest, kind, not_after, subject, certificate, added_by, added_at)
                 SELECT fingerprint, name, digest, kind, not_after, subject, certificate, $1,
                        coalesce(added_at, now())
                 FROM ccert_first
                 ON CONFLICT (fingerprint) DO NOTHING",
                &[&by],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        let conflicting = u64::try_from(conflicting).unwrap_or_default();
        Ok(ImportReport {
            added,
            present: distinct.saturating_sub(added).saturating_sub(conflicting),
            conflicting,
            conflicts,
        })
    }
}

/// How many conflicts [`ImportReport::conflicts`] lists at most.
pub const CONFLICTS_LISTED: usize = 100;

/// One COPY text-format line for `e`.
fn copy_row(buf: &mut Vec<u8>, ord: usize, e: &NewEntry) {
    let fp = e.fingerprint.to_map_key();
    let cert = e.certificate.as_ref();
    let not_after = cert.and_then(|c| c.not_after).or(e.not_after);
    let subject = cert
        .map(|c| c.subject.clone())
        .or_else(|| e.subject.clone());
    let fields: [Option<String>; 9] = [
        Some(ord.to_string()),
        Some(fp),
        Some(e.name.clone()),
        Some(e.fingerprint.algorithm.name().to_string()),
        Some(kind(e.pubkey).to_string()),
        not_after.and_then(rfc3339),
        subject,
        cert.map(|c| {
            let mut hex = String::from("\\x");
            for b in &c.der {
                hex.push_str(&format!("{b:02x}"));
            }
            hex
        }),
        e.added_at.and_then(rfc3339),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        match f {
            None => buf.extend_from_slice(b"\\N"),
            Some(text) => {
                for &b in text.as_bytes() {
                    match b {
                        b'\\' => buf.extend_from_slice(b"\\\\"),
                        b'\t' => buf.extend_from_slice(b"\\t"),
                        b'\n' => buf.extend_from_slice(b"\\n"),
                        b'\r' => buf.extend_from_slice(b"\\r"),
                        _ => buf.push(b),
                    }
                }
            }
        }
    }
    buf.push(b'\n');
}

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn kind(pubkey: bool) -> &'static str {
    if pubkey { "pubkey" } else { "cert" }
}

fn db_err(cf: &Path, message: String) -> StoreError {
    StoreError::Database {
        cf: cf.to_path_buf(),
        message,
    }
}

fn sql_err(cf: &Path, e: &postgres::Error) -> StoreError {
    db_err(cf, connect::explain(e))
}

/// Locks the state row: editors take turns from here to commit. With
/// `on_wait`, a lock held by another session is first tried without
/// waiting, so the wait can be announced; the wait itself ends at
/// `lock_timeout` (connect::LOCK_TIMEOUT) with nothing changed.
fn lock(
    tx: &mut postgres::Transaction<'_>,
    on_wait: &mut Option<Box<dyn FnMut()>>,
) -> Result<(), postgres::Error> {
    if let Some(notice) = on_wait {
        tx.batch_execute("SAVEPOINT ccert_lock")?;
        match tx.execute("SELECT 1 FROM ccert_state FOR UPDATE NOWAIT", &[]) {
            Ok(_) => return tx.batch_execute("RELEASE SAVEPOINT ccert_lock"),
            Err(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
                tx.batch_execute("ROLLBACK TO SAVEPOINT ccert_lock")?;
                notice();
            }
            Err(e) => return Err(e),
        }
    }
    tx.execute("SELECT 1 FROM ccert_state FOR UPDATE", &[])
        .map(drop)
}

/// Puts `entries` into the list inside `tx` (locked) by the rule every list
/// shares ([`decide`]), one outcome each; an entry under another name
/// without `replace` is left as it is ([`Outcome::OtherName`]) and the
/// caller rolls back.
fn put_rows(
    tx: &mut postgres::Transaction<'_>,
    entries: &[NewEntry],
    replace: bool,
) -> Result<Vec<Outcome>, postgres::Error> {
    let by = who();
    let mut outcomes = Vec::new();
    for e in entries {
        let key = e.fingerprint.to_map_key();
        let existing: Option<String> = tx
            .query_opt(
                "SELECT name FROM ccert_clientcerts WHERE fingerprint = $1",
                &[&key],
            )?
            .map(|r| r.get(0));
        let cert = e.certificate.as_ref();
        let not_after = cert.and_then(|c| c.not_after).or(e.not_after);
        let subject = cert
            .map(|c| c.subject.clone())
            .or_else(|| e.subject.clone());
        let der = cert.map(|c| c.der.clone());
        let outcome = decide(
            existing.as_ref().map(|old| (None, old.as_bytes())),
            &e.name,
            replace,
        );
        match &outcome {
            Outcome::Unchanged { .. } => {
                // Keep the certificate when the row had none yet (rehash needs it).
                if der.is_some() {
                    tx.execute(
                        "UPDATE ccert_clientcerts SET certificate = $2
                         WHERE fingerprint = $1 AND certificate IS NULL",
                        &[&key, &der],
                    )?;
                }
            }
            Outcome::OtherName { .. } => {}
            Outcome::Renamed { .. } => {
                tx.execute(
                    "UPDATE ccert_clientcerts SET name = $2,
                       certificate = coalesce($3, certificate),
                       not_after = coalesce($4, not_after), subject = coalesce($5, subject)
                     WHERE fingerprint = $1",
                    &[&key, &e.name, &der, &not_after, &subject],
                )?;
            }
            Outcome::Added => {
                tx.execute(
                    "INSERT INTO ccert_clientcerts
                       (fingerprint, name, digest, kind, not_after, subject, certificate,
                        added_by, added_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, now()))",
                    &[
                        &key,
                        &e.name,
                        &e.fingerprint.algorithm.name(),
                        &kind(e.pubkey),
                        &not_after,
                        &subject,
                        &der,
                        &by,
                        &e.added_at,
                    ],
                )?;
            }
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Column `i` of `row`, or why not (a schema altered by hand: another type,
/// a NULL where ccert writes none) as one sentence instead of a panic.
fn col<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    table: &str,
) -> Result<T, String> {
    row.try_get(i).map_err(|e| {
        let name = row.columns().get(i).map_or("?", |c| c.name());
        let ty = row
            .columns()
            .get(i)
            .map_or_else(String::new, |c| c.type_().name().to_string());
        let what = if e.to_string().to_lowercase().contains("null") {
            "is NULL".to_string()
        } else {
            format!("has type {ty}")
        };
        format!(
            "column {table}.{name} {what}, which ccert never writes (was the schema altered by \
             hand?); restore it as docs/fleet.md#schema describes"
        )
    })
}

fn entry_from_row(row: &Row) -> Result<StoredEntry, String> {
    const T: &str = "ccert_clientcerts";
    let digest: String = col(row, 2, T)?;
    let kind: String = col(row, 3, T)?;
    Ok(StoredEntry {
        fingerprint: col(row, 0, T)?,
        name: col(row, 1, T)?,
        digest: digest.parse().ok(),
        pubkey: Some(kind == "pubkey"),
        not_after: col(row, 4, T)?,
        subject: col(row, 5, T)?,
        certificate: col(row, 6, T)?,
        added_by: col(row, 7, T)?,
        added_at: col(row, 8, T)?,
    })
}

/// Every row as a [`StoredEntry`], or the first column ccert cannot read.
fn entries_from_rows(cf: &Path, rows: &[Row]) -> Result<Vec<StoredEntry>, StoreError> {
    rows.iter()
        .map(|r| entry_from_row(r).map_err(|m| db_err(cf, m)))
        .collect()
}

/// [`super::check_entry`] for each entry, before the transaction starts.
fn check_entries(cf: &Path, entries: &[NewEntry]) -> Result<(), StoreError> {
    for e in entries {
        super::check_entry(e).map_err(|why| StoreError::Refused {
            cf: cf.to_path_buf(),
            message: format!("{}: {why}; nothing changed", e.fingerprint),
        })?;
    }
    Ok(())
}

/// Records in the state row, inside the editing transaction `tx` that
/// has just removed `removed` rows, when they were more than half of the
/// list: the generation the removal left and the entries left. `sync`
/// reads it as the admin's intent and takes the shrink without
/// `--allow-shrink`, while a shrink nobody recorded (a restored dump, rows
/// hidden by row-level security, a `DELETE` by hand, a new database) is
/// still refused. Only a ccert edit writes it: its confirmation (or
/// `--yes`) and its list of what was removed are the intent.
fn record_shrink(tx: &mut postgres::Transaction<'_>, removed: u64) -> Result<(), postgres::Error> {
    if removed == 0 {
        return Ok(());
    }
    let left: i64 = tx
        .query_one("SELECT count(*) FROM ccert_clientcerts", &[])?
        .get(0);
    if removed <= u64::try_from(left).unwrap_or(0) {
        return Ok(());
    }
    // The triggers bumped the generation at the end of the DELETE, in this
    // transaction: the state row holds the generation the removal left.
    tx.execute(
        "UPDATE ccert_state SET shrink_generation = generation, shrink_entries = $1",
        &[&left],
    )
    .map(drop)
}

/// The recorded deliberate shrink in columns `at` and `at + 1` of a state
/// row (NULL before the first one).
fn shrink_from_row(
    cf: &Path,
    row: &Row,
    at: usize,
) -> Result<Option<DeliberateShrink>, StoreError> {
    let generation: Option<i64> = col(row, at, "ccert_state").map_err(|m| db_err(cf, m))?;
    let entries: Option<i64> = col(row, at + 1, "ccert_state").map_err(|m| db_err(cf, m))?;
    Ok(match (generation, entries) {
        (Some(generation), Some(entries)) => Some(DeliberateShrink {
            generation,
            entries: u64::try_from(entries).unwrap_or_default(),
        }),
        _ => None,
    })
}

/// `(database_id, generation)` from `ccert_state`.
fn state_from_row(cf: &Path, row: &Row) -> Result<(String, i64), StoreError> {
    Ok((
        col(row, 0, "ccert_state").map_err(|m| db_err(cf, m))?,
        col(row, 1, "ccert_state").map_err(|m| db_err(cf, m))?,
    ))
}

impl ListStore for PgsqlStore {
    fn postfix_name(&self) -> String {
        format!("pgsql:{}", self.cf.path.display())
    }

    fn config_path(&self) -> &Path {
        &self.cf.path
    }

    fn add(&mut self, entries: &[NewEntry], replace: bool) -> Result<Vec<Outcome>, StoreError> {
        let path = self.cf.path.clone();
        check_entries(&path, entries)?;
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx, &mut self.on_wait).map_err(err)?;
        let outcomes = put_rows(&mut tx, entries, replace).map_err(err)?;
        if outcomes
            .iter()
            .any(|o| matches!(o, Outcome::OtherName { .. }))
        {
            // Dropping the transaction rolls it back: nothing changed.
            return Ok(outcomes);
        }
        tx.commit().map_err(err)?;
        Ok(outcomes)
    }

    fn apply(&mut self, entries: &[NewEntry], check: bool) -> Result<ApplyReport, StoreError> {
        let path = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx, &mut self.on_wait).map_err(err)?;
        let outcomes = put_rows(&mut tx, entries, true).map_err(err)?;
        let keep: Vec<String> = entries.iter().map(|e| e.fingerprint.to_map_key()).collect();
        let rows = tx
            .query(
                &format!(
                    "DELETE FROM ccert_clientcerts WHERE NOT (fingerprint = ANY($1))
                     RETURNING {COLUMNS}"
                ),
                &[&keep],
            )
            .map_err(err)?;
        let removed = entries_from_rows(&path, &rows)?;
        let changed = !removed.is_empty() || outcomes.iter().any(Outcome::changes);
        if check || !changed {
            // Rolled back when dropped: nothing changes (and an unchanged
            // list keeps its generation, so `sync` has nothing to do).
            drop(tx);
        } else {
            record_shrink(&mut tx, removed.len() as u64).map_err(err)?;
            tx.commit().map_err(err)?;
        }
        let mut removed = removed;
        removed.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Ok(ApplyReport { outcomes, removed })
    }

    fn remove(
        &mut self,
        selector: &Selector,
        confirm: &mut dyn FnMut(&[StoredEntry]) -> bool,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let path = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx, &mut self.on_wait).map_err(err)?;
        let rows = match selector {
            Selector::Name(name) => tx.query(
                &format!(
                    "SELECT {COLUMNS} FROM ccert_clientcerts WHERE name = $1 ORDER BY fingerprint"
                ),
                &[name],
            ),
            Selector::Fingerprints(fps) => {
                let keys: Vec<String> = fps.iter().map(Fingerprint::to_map_key).collect();
                tx.query(
                    &format!(
                        "SELECT {COLUMNS} FROM ccert_clientcerts WHERE fingerprint = ANY($1) \
                         ORDER BY fingerprint"
                    ),
                    &[&keys],
                )
            }
        }
        .map_err(err)?;
        let matching = entries_from_rows(&path, &rows)?;
        if matching.is_empty() || !confirm(&matching) {
            return Ok(Vec::new());
        }
        let keys: Vec<&str> = matching.iter().map(|e| e.fingerprint.as_str()).collect();
        let removed = tx
            .execute(
                "DELETE FROM ccert_clientcerts WHERE fingerprint = ANY($1)",
                &[&keys],
            )
            .map_err(err)?;
        record_shrink(&mut tx, removed).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(matching)
    }

    fn revoke(
        &mut self,
        select: &mut dyn FnMut(&StoredEntry) -> bool,
        deny: &mut dyn FnMut(&[StoredEntry]) -> Vec<Revocation>,
        confirm: &mut dyn FnMut(&[StoredEntry], &[Revocation]) -> bool,
    ) -> Result<Option<Revoked>, StoreError> {
        let path = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx, &mut self.on_wait).map_err(err)?;
        // The selection can be any test of an entry (a CRL reads each
        // stored certificate): the rows are read inside the locked
        // transaction, so what is removed is what was shown.
        let rows = tx
            .query(
                &format!("SELECT {COLUMNS} FROM ccert_clientcerts ORDER BY name, fingerprint"),
                &[],
            )
            .map_err(err)?;
        let matching: Vec<StoredEntry> = entries_from_rows(&path, &rows)?
            .into_iter()
            .filter(|e| select(e))
            .collect();
        drop(rows);
        let revocations = deny(&matching);
        if revocations.is_empty() || !confirm(&matching, &revocations) {
            return Ok(None);
        }
        // The revocations first, then the removal: the generation the
        // removal leaves is the last one, as record_shrink needs.
        let fps: Vec<&str> = revocations.iter().map(|r| r.fingerprint.as_str()).collect();
        let names: Vec<&str> = revocations.iter().map(|r| r.name.as_str()).collect();
        let reasons: Vec<Option<&str>> = revocations.iter().map(|r| r.reason.as_deref()).collect();
        tx.execute(
            "INSERT INTO ccert_revocations (fingerprint, name, reason) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) \
             ON CONFLICT (fingerprint) DO NOTHING",
            &[&fps, &names, &reasons],
        )
        .map_err(err)?;
        let keys: Vec<&str> = matching.iter().map(|e| e.fingerprint.as_str()).collect();
        let removed = tx
            .execute(
                "DELETE FROM ccert_clientcerts WHERE fingerprint = ANY($1)",
                &[&keys],
            )
            .map_err(err)?;
        record_shrink(&mut tx, removed).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Some((matching, revocations)))
    }

    fn revocations(&mut self) -> Result<Vec<Revocation>, StoreError> {
        let path = self.cf.path.clone();
        // A database not yet migrated to schema 4 has none.
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass('ccert_revocations') IS NOT NULL", &[])
            .map_err(|e| sql_err(&path, &e))?
            .get(0);
        if !exists {
            return Ok(Vec::new());
        }
        let rows = self
            .client
            .query(
                "SELECT fingerprint, name, reason FROM ccert_revocations ORDER BY fingerprint",
                &[],
            )
            .map_err(|e| sql_err(&path, &e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let fingerprint: String =
                col(row, 0, "ccert_revocations").map_err(|m| db_err(&path, m))?;
            let name: String = col(row, 1, "ccert_revocations").map_err(|m| db_err(&path, m))?;
            let reason: Option<String> =
                col(row, 2, "ccert_revocations").map_err(|m| db_err(&path, m))?;
            out.push(Revocation {
                fingerprint,
                name,
                reason,
            });
        }
        Ok(out)
    }

    fn entries(&mut self) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = self
            .client
            .query(
                &format!("SELECT {COLUMNS} FROM ccert_clientcerts ORDER BY name, fingerprint"),
                &[],
            )
            .map_err(|e| sql_err(&self.cf.path, &e))?;
        entries_from_rows(&self.cf.path, &rows)
    }

    fn lookup(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.client
            .query_opt(
                "SELECT name FROM ccert_clientcerts WHERE fingerprint = $1",
                &[&key],
            )
            .map_err(|e| sql_err(&self.cf.path, &e))?
            .map(|r| col(&r, 0, "ccert_clientcerts"))
            .transpose()
            .map_err(|m| db_err(&self.cf.path, m))
    }

    fn rehash(
        &mut self,
        digest: DigestAlgorithm,
        pubkey: bool,
    ) -> Result<RehashReport, StoreError> {
        let path = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx, &mut self.on_wait).map_err(err)?;
        let rows = tx
            .query(
                "SELECT fingerprint, name, certificate FROM ccert_clientcerts ORDER BY fingerprint",
                &[],
            )
            .map_err(err)?;
        let mut plan = Vec::new();
        let mut missing = Vec::new();
        for r in &rows {
            let old: String = col(r, 0, "ccert_clientcerts").map_err(|m| db_err(&path, m))?;
            let name: String = col(r, 1, "ccert_clientcerts").map_err(|m| db_err(&path, m))?;
            let der: Option<Vec<u8>> =
                col(r, 2, "ccert_clientcerts").map_err(|m| db_err(&path, m))?;
            let cert = der.and_then(|d| {
                crate::cert::parse_certificates(
                    &d,
                    Path::new("(database)"),
                    &crate::cert::NoPassword,
                )
                .ok()
                .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
            });
            match cert {
                Some(c) => plan.push((old, c.fingerprint(digest, pubkey).to_map_key())),
                None => missing.push(format!("{old} {name}")),
            }
        }
        if !missing.is_empty() {
            return Err(StoreError::Refused {
                cf: path.clone(),
                message: format!(
                    "no stored certificate for {} entr{} ({}), so they cannot be re-digested; \
                     nothing changed. Add each certificate again with `ccert add CERT \
                     --replace`, or remove the entry, then run rehash again",
                    missing.len(),
                    if missing.len() == 1 { "y" } else { "ies" },
                    missing.join(", ")
                ),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for (_, new) in &plan {
            if !seen.insert(new.clone()) {
                return Err(StoreError::Refused {
                    cf: path.clone(),
                    message: format!(
                        "two entries would both become {new} (a certificate and a public-key \
                         entry of the same certificate?); remove one, then run rehash again"
                    ),
                });
            }
        }
        let changed: Vec<&(String, String)> = plan.iter().filter(|(o, n)| o != n).collect();
        let olds: Vec<&str> = changed.iter().map(|(o, _)| o.as_str()).collect();
        // Move the changing keys aside first, so a new key equal to another
        // entry's old key never collides half-way.
        tx.execute(
            "UPDATE ccert_clientcerts SET fingerprint = 'rehash:' || fingerprint
             WHERE fingerprint = ANY($1)",
            &[&olds],
        )
        .map_err(err)?;
        for (old, new) in &changed {
            let aside = format!("rehash:{old}");
            tx.execute(
                "UPDATE ccert_clientcerts SET fingerprint = $2, digest = $3, kind = $4
                 WHERE fingerprint = $1",
                &[&aside, new, &digest.name(), &kind(pubkey)],
            )
            .map_err(err)?;
        }
        // Entries whose key stays may still change kind/digest labels.
        tx.execute(
            "UPDATE ccert_clientcerts SET digest = $1, kind = $2
             WHERE digest <> $1 OR kind <> $2",
            &[&digest.name(), &kind(pubkey)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(RehashReport {
            changed: changed.len(),
            total: plan.len(),
        })
    }

    fn on_wait(&mut self, notice: Box<dyn FnMut()>) {
        self.on_wait = Some(notice);
    }

    fn each_entry(
        &mut self,
        order: EntryOrder,
        each: &mut dyn FnMut(StoredEntry) -> bool,
    ) -> Result<(), StoreError> {
        stream_entries(&mut self.client, &self.cf.path, order, each)
    }
}

/// The state of the list in one query: the `ccert_state` row and a count
/// and digest of every row of `ccert_clientcerts`. The digest is computed by
/// the server from the rows themselves, so it changes with the content even
/// when the generation triggers did not fire (disabled or dropped, rows
/// replicated to a logical subscriber, a backup restored and edited).
///
/// Each row's fields (those a copy writes: fingerprint, name, kind, digest,
/// notAfter, subject, whether a certificate is stored, the added time) are
/// joined by line breaks, which a copy's line cannot hold, with times in
/// UTC so that the session's time zone does not matter. The row's text is
/// hashed twice with PostgreSQL's text hash (`hashtextextended`, the one
/// hash partitioning uses; in PostgreSQL since 11) under two seeds, and each
/// hash is summed over the rows: 128 bits independent of row order, in
/// constant memory on both sides. md5 with `format('%L')` per field gave the
/// same guarantees at 5 times the server CPU (7.7 s against 1.7 s for a
/// million rows on the loaded 2-core test machine). A hash that differs
/// between servers (another CPU architecture) only costs one rewrite of an
/// unchanged copy; what must never happen, two different lists with the
/// same digest, needs a 128-bit collision.
const STATE: &str = "
    SELECT s.database_id, s.generation, c.n, c.digest, s.shrink_generation, s.shrink_entries
    FROM ccert_state s, (
        SELECT count(*) AS n,
               md5(coalesce(sum(hashtextextended(t, 0)), 0)::text || ':' ||
                   coalesce(sum(hashtextextended(t, 1)), 0)::text) AS digest
        FROM (SELECT concat_ws(E'\\n', fingerprint, name, kind, digest,
                               coalesce((not_after AT TIME ZONE 'UTC')::text, '-'),
                               coalesce(subject, '-'), certificate IS NULL,
                               added_at AT TIME ZONE 'UTC') AS t
              FROM ccert_clientcerts) rows
    ) c";

/// Streams the entries in `order` to `each` through one statement whose rows
/// arrive as they are read (the client library holds back the server when
/// the consumer is slower), so memory stays small whatever the list's size.
fn stream_entries(
    client: &mut impl GenericClient,
    cf: &Path,
    order: EntryOrder,
    each: &mut dyn FnMut(StoredEntry) -> bool,
) -> Result<(), StoreError> {
    use postgres::fallible_iterator::FallibleIterator as _;
    let order = match order {
        EntryOrder::Name => "name, fingerprint",
        EntryOrder::Fingerprint => "fingerprint",
    };
    let mut rows = client
        .query_raw(
            &format!("SELECT {COLUMNS} FROM ccert_clientcerts ORDER BY {order}"),
            std::iter::empty::<&str>(),
        )
        .map_err(|e| sql_err(cf, &e))?;
    while let Some(row) = rows.next().map_err(|e| sql_err(cf, &e))? {
        if !each(entry_from_row(&row).map_err(|m| db_err(cf, m))?) {
            break;
        }
    }
    Ok(())
}

/// A consistent, read-only view of the list (one repeatable-read
/// transaction, rolled back when dropped): its [`ListState`], then its
/// entries streamed ([`Snapshot::each_entry`]). What `ccert sync` reads.
pub struct Snapshot<'a> {
    tx: postgres::Transaction<'a>,
    cf: PathBuf,
    /// What the list holds in this snapshot.
    pub state: ListState,
}

impl Snapshot<'_> {
    /// Streams every entry of the snapshot in `order` to `each`, until it
    /// returns `false`.
    pub fn each_entry(
        &mut self,
        order: EntryOrder,
        each: &mut dyn FnMut(StoredEntry) -> bool,
    ) -> Result<(), StoreError> {
        stream_entries(&mut self.tx, &self.cf, order, each)
    }
}

impl PgsqlStore {
    /// Opens a [`Snapshot`] and reads the list's state in it.
    pub fn snapshot(&mut self) -> Result<Snapshot<'_>, StoreError> {
        let cf: PathBuf = self.cf.path.clone();
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| sql_err(&cf, &e))?;
        let row = tx.query_one(STATE, &[]).map_err(|e| sql_err(&cf, &e))?;
        let (database_id, generation) = state_from_row(&cf, &row)?;
        let count: i64 = col(&row, 2, "ccert_state").map_err(|m| db_err(&cf, m))?;
        let state = ListState {
            database_id,
            generation,
            entries: u64::try_from(count).unwrap_or_default(),
            digest: col(&row, 3, "ccert_state").map_err(|m| db_err(&cf, m))?,
            deliberate_shrink: shrink_from_row(&cf, &row, 4)?,
        };
        Ok(Snapshot { tx, cf, state })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_rows_escape_text_and_mark_nulls() {
        let fp = Fingerprint::parse("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89").unwrap();
        let entry = NewEntry {
            fingerprint: fp,
            name: "a\\b\tc".into(),
            pubkey: true,
            certificate: None,
            not_after: None,
            subject: Some("CN=x\ny".into()),
            added_at: None,
        };
        let mut buf = Vec::new();
        copy_row(&mut buf, 7, &entry);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "7\tab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\ta\\\\b\\tc\tmd5\tpubkey\t\\N\tCN=x\\ny\t\\N\t\\N\n"
        );
    }
}

//! The client-certificate list in PostgreSQL, read by Postfix through
//! `pgsql:/etc/postfix/clientcerts.pgsql.cf` (pgsql_table(5)).
//!
//! * [`cf`]: the `.cf` file, shared with Postfix; [`uri`]: its URI hosts.
//! * [`connect`]: the connection (hosts in order, TLS per `sslmode`).
//! * [`schema`]: tables, generation triggers, migrations.
//! * [`init`]: `ccert db init` (schema and `.cf`).
//!
//! Every statement is parameterised; every edit is one transaction that
//! first locks the `ccert_state` row, so edits from many hosts take turns
//! and none is lost.

pub mod cf;
pub mod connect;
pub mod init;
pub mod schema;
pub mod uri;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use postgres::{Client, GenericClient, Row};
use time::OffsetDateTime;

use super::{
    ApplyReport, ListStore, NewEntry, Outcome, RehashReport, Selector, StoreError, StoredEntry, who,
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
}

/// What [`PgsqlStore::import`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows inserted.
    pub added: u64,
    /// Fingerprints already present with the same name.
    pub present: u64,
    /// Fingerprints already present under another name (kept as they were):
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
        Ok(Self { cf, client })
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
    pub fn import(&mut self, entries: &[NewEntry]) -> Result<ImportReport, StoreError> {
        let path = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx).map_err(err)?;
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
            for (ord, e) in entries.iter().enumerate() {
                copy_row(&mut buf, ord, e);
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
        let conflicts = tx
            .query(
                "SELECT f.fingerprint, c.name, f.name
                 FROM ccert_first f JOIN ccert_clientcerts c USING (fingerprint)
                 WHERE c.name <> f.name ORDER BY f.fingerprint",
                &[],
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
        Ok(ImportReport {
            added,
            present: distinct
                .saturating_sub(added)
                .saturating_sub(conflicts.len() as u64),
            conflicts,
        })
    }
}

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

/// Locks the state row: editors take turns from here to commit.
fn lock(tx: &mut impl GenericClient) -> Result<(), postgres::Error> {
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

fn entry_from_row(row: &Row) -> StoredEntry {
    let digest: String = row.get(2);
    let kind: String = row.get(3);
    StoredEntry {
        fingerprint: row.get(0),
        name: row.get(1),
        digest: digest.parse().ok(),
        pubkey: Some(kind == "pubkey"),
        not_after: row.get(4),
        subject: row.get(5),
        certificate: row.get(6),
        added_by: row.get(7),
        added_at: row.get(8),
    }
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
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx).map_err(err)?;
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
        lock(&mut tx).map_err(err)?;
        let outcomes = put_rows(&mut tx, entries, true).map_err(err)?;
        let keep: Vec<String> = entries.iter().map(|e| e.fingerprint.to_map_key()).collect();
        let removed: Vec<StoredEntry> = tx
            .query(
                &format!(
                    "DELETE FROM ccert_clientcerts WHERE NOT (fingerprint = ANY($1))
                     RETURNING {COLUMNS}"
                ),
                &[&keep],
            )
            .map_err(err)?
            .iter()
            .map(entry_from_row)
            .collect();
        let changed = !removed.is_empty() || outcomes.iter().any(Outcome::changes);
        if check || !changed {
            // Rolled back when dropped: nothing changes (and an unchanged
            // list keeps its generation, so `sync` has nothing to do).
            drop(tx);
        } else {
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
        lock(&mut tx).map_err(err)?;
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
        let matching: Vec<StoredEntry> = rows.iter().map(entry_from_row).collect();
        if matching.is_empty() || !confirm(&matching) {
            return Ok(Vec::new());
        }
        let keys: Vec<&str> = matching.iter().map(|e| e.fingerprint.as_str()).collect();
        tx.execute(
            "DELETE FROM ccert_clientcerts WHERE fingerprint = ANY($1)",
            &[&keys],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(matching)
    }

    fn entries(&mut self) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = self
            .client
            .query(
                &format!("SELECT {COLUMNS} FROM ccert_clientcerts ORDER BY name, fingerprint"),
                &[],
            )
            .map_err(|e| sql_err(&self.cf.path, &e))?;
        Ok(rows.iter().map(entry_from_row).collect())
    }

    fn lookup(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .client
            .query_opt(
                "SELECT name FROM ccert_clientcerts WHERE fingerprint = $1",
                &[&key],
            )
            .map_err(|e| sql_err(&self.cf.path, &e))?
            .map(|r| r.get(0)))
    }

    fn rehash(
        &mut self,
        digest: DigestAlgorithm,
        pubkey: bool,
    ) -> Result<RehashReport, StoreError> {
        let path = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        lock(&mut tx).map_err(err)?;
        let rows = tx
            .query(
                "SELECT fingerprint, name, certificate FROM ccert_clientcerts ORDER BY fingerprint",
                &[],
            )
            .map_err(err)?;
        let mut plan = Vec::new();
        let mut missing = Vec::new();
        for r in &rows {
            let old: String = r.get(0);
            let name: String = r.get(1);
            let der: Option<Vec<u8>> = r.get(2);
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

    fn generation(&mut self) -> Result<(String, i64), StoreError> {
        let row = self
            .client
            .query_one("SELECT database_id, generation FROM ccert_state", &[])
            .map_err(|e| sql_err(&self.cf.path, &e))?;
        Ok((row.get(0), row.get(1)))
    }
}

impl PgsqlStore {
    /// A consistent snapshot: the generation and every entry, read in one
    /// repeatable-read transaction (what `ccert sync` writes out).
    pub fn snapshot(&mut self) -> Result<((String, i64), Vec<StoredEntry>), StoreError> {
        let path: PathBuf = self.cf.path.clone();
        let err = |e: postgres::Error| sql_err(&path, &e);
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(err)?;
        let state = tx
            .query_one("SELECT database_id, generation FROM ccert_state", &[])
            .map_err(err)?;
        let rows = tx
            .query(
                &format!("SELECT {COLUMNS} FROM ccert_clientcerts ORDER BY fingerprint"),
                &[],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok((
            (state.get(0), state.get(1)),
            rows.iter().map(entry_from_row).collect(),
        ))
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

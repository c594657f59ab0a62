//! The ccert schema in PostgreSQL and its migrations (docs/fleet.md#schema).
//!
//! `ccert_state` holds one row: the schema version, a generation counter
//! that triggers bump on every statement that changes `ccert_clientcerts`
//! (also edits made by hand with psql), and a random database id so that
//! `ccert sync` notices a recreated database. Every editing transaction
//! locks that row first, so concurrent editors on many hosts take turns.

use postgres::GenericClient;

/// The schema version this ccert writes.
pub const CURRENT: i32 = 4;

/// Step `i` moves the schema from version `i` to `i + 1`.
const STEPS: [&str; CURRENT as usize] = [
    // 0 → 1: the tables, the generation triggers.
    r#"
    CREATE TABLE ccert_state (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        schema_version integer NOT NULL,
        generation bigint NOT NULL DEFAULT 0,
        database_id text NOT NULL DEFAULT gen_random_uuid()::text
    );
    INSERT INTO ccert_state (schema_version) VALUES (0);
    CREATE TABLE ccert_clientcerts (
        fingerprint text PRIMARY KEY CHECK (fingerprint = lower(fingerprint)),
        name text NOT NULL,
        digest text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('cert', 'pubkey')),
        not_after timestamptz,
        subject text,
        certificate bytea,
        added_by text NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE FUNCTION ccert_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ccert_state SET generation = generation + 1;
        RETURN NULL;
    END $$;
    CREATE FUNCTION ccert_bump_if_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM changed) THEN
            UPDATE ccert_state SET generation = generation + 1;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER ccert_inserted AFTER INSERT ON ccert_clientcerts
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows();
    CREATE TRIGGER ccert_updated AFTER UPDATE ON ccert_clientcerts
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows();
    CREATE TRIGGER ccert_deleted AFTER DELETE ON ccert_clientcerts
        REFERENCING OLD TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows();
    CREATE TRIGGER ccert_truncated AFTER TRUNCATE ON ccert_clientcerts
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_generation();
    "#,
    // 1 → 2: `remove --name` and `list` look entries up by name.
    "CREATE INDEX ccert_clientcerts_name ON ccert_clientcerts (name);",
    // 2 → 3: a removal of most of the list that ccert itself made (`remove`,
    // `apply`), so that `sync` takes it without --allow-shrink: the
    // generation it left and how many entries it left (docs/fleet.md, "What
    // sync refuses and why"). NULL until the first such removal.
    "ALTER TABLE ccert_state ADD COLUMN IF NOT EXISTS shrink_generation bigint, \
     ADD COLUMN IF NOT EXISTS shrink_entries bigint;",
    // 3 → 4: revocations (`ccert revoke`): Postfix servers that query the
    // database deny these fingerprints through the second .cf `db init`
    // writes, and `sync` copies them into the local deny table. A change
    // bumps the generation as an edit of the list does, so `sync` sees it.
    // Idempotent, as step 3: a state row set back by hand re-runs it.
    r#"
    CREATE TABLE IF NOT EXISTS ccert_revocations (
        fingerprint text PRIMARY KEY CHECK (fingerprint = lower(fingerprint)),
        reason text,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        name text NOT NULL
    );
    -- Whoever reads the list (Postfix's lookup role, a sync server's
    -- role) reads its revocations too.
    DO $$
    DECLARE r text;
    BEGIN
        FOR r IN SELECT DISTINCT grantee::text FROM information_schema.role_table_grants
                 WHERE table_schema = current_schema() AND table_name = 'ccert_clientcerts'
                   AND privilege_type = 'SELECT' AND grantee::text NOT IN ('PUBLIC', current_user)
        LOOP
            EXECUTE format('GRANT SELECT ON ccert_revocations TO %I', r);
        END LOOP;
    END $$;
    DROP TRIGGER IF EXISTS ccert_revocations_inserted ON ccert_revocations;
    CREATE TRIGGER ccert_revocations_inserted AFTER INSERT ON ccert_revocations
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows();
    DROP TRIGGER IF EXISTS ccert_revocations_updated ON ccert_revocations;
    CREATE TRIGGER ccert_revocations_updated AFTER UPDATE ON ccert_revocations
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows();
    DROP TRIGGER IF EXISTS ccert_revocations_deleted ON ccert_revocations;
    CREATE TRIGGER ccert_revocations_deleted AFTER DELETE ON ccert_revocations
        REFERENCING OLD TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows();
    DROP TRIGGER IF EXISTS ccert_revocations_truncated ON ccert_revocations;
    CREATE TRIGGER ccert_revocations_truncated AFTER TRUNCATE ON ccert_revocations
        FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_generation();
    "#,
];

/// Serialises schema changes of concurrent ccert runs (an arbitrary constant).
const SCHEMA_LOCK: i64 = 0x6363_6572_7400_0001;

/// The schema's state in a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No ccert tables.
    Missing,
    /// Version N.
    Version(i32),
}

/// Which schema version the database has.
pub fn found(client: &mut impl GenericClient) -> Result<Found, postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('ccert_state') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(Found::Missing);
    }
    // Cast: a column altered by hand to bigint or text must not panic here;
    // check_shape names it afterwards.
    let version: Option<i32> = client
        .query_one("SELECT max(schema_version::integer) FROM ccert_state", &[])?
        .get(0);
    Ok(Found::Version(version.unwrap_or(0)))
}

/// Creates the schema or migrates it to [`CURRENT`] in one transaction;
/// returns the version found before (0 when there was none). A version
/// newer than this ccert's is refused.
pub fn create_or_migrate(
    client: &mut postgres::Client,
) -> Result<Result<i32, String>, postgres::Error> {
    migrate_to(client, CURRENT)
}

/// As [`create_or_migrate`], stopping at `target` (tests use it to build old schemas).
pub fn migrate_to(
    client: &mut postgres::Client,
    target: i32,
) -> Result<Result<i32, String>, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    let before = match found(&mut tx)? {
        Found::Missing => 0,
        Found::Version(v) => v,
    };
    if before > CURRENT {
        return Ok(Err(format!(
            "the database has ccert schema version {before}, newer than this ccert's \
             ({CURRENT}); upgrade ccert"
        )));
    }
    for (step, sql) in STEPS
        .iter()
        .enumerate()
        .skip(before as usize)
        .take((target - before).max(0) as usize)
    {
        tx.batch_execute(sql)?;
        let next = step as i32 + 1;
        tx.execute("UPDATE ccert_state SET schema_version = $1", &[&next])?;
    }
    tx.commit()?;
    Ok(Ok(before))
}

/// The columns ccert reads, with the type and nullability it wrote them
/// with (information_schema's names).
const SHAPE: [(&str, &str, &str, bool); 18] = [
    ("ccert_state", "schema_version", "integer", false),
    ("ccert_state", "generation", "bigint", false),
    ("ccert_state", "database_id", "text", false),
    ("ccert_state", "shrink_generation", "bigint", true),
    ("ccert_state", "shrink_entries", "bigint", true),
    ("ccert_clientcerts", "fingerprint", "text", false),
    ("ccert_clientcerts", "name", "text", false),
    ("ccert_clientcerts", "digest", "text", false),
    ("ccert_clientcerts", "kind", "text", false),
    (
        "ccert_clientcerts",
        "not_after",
        "timestamp with time zone",
        true,
    ),
    ("ccert_clientcerts", "subject", "text", true),
    ("ccert_clientcerts", "certificate", "bytea", true),
    ("ccert_clientcerts", "added_by", "text", false),
    (
        "ccert_clientcerts",
        "added_at",
        "timestamp with time zone",
        false,
    ),
    ("ccert_revocations", "fingerprint", "text", false),
    ("ccert_revocations", "reason", "text", true),
    (
        "ccert_revocations",
        "revoked_at",
        "timestamp with time zone",
        false,
    ),
    ("ccert_revocations", "name", "text", false),
];

/// Checks that every column ccert reads still has the type and the NOT NULL
/// it was created with: a schema altered by hand (generation as integer, a
/// timestamp without time zone, a nullable name) is one clear error naming
/// the column and the statement that restores it, before any row is read.
pub fn check_shape(client: &mut impl GenericClient) -> Result<Result<(), String>, postgres::Error> {
    let rows = client.query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'YES'
         FROM information_schema.columns
         WHERE table_schema = current_schema()
           AND table_name IN ('ccert_state', 'ccert_clientcerts', 'ccert_revocations')",
        &[],
    )?;
    let found: Vec<(String, String, String, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let mut wrong = Vec::new();
    // A database of schema 3 or older (read before `db init` migrates it)
    // has no revocations table: its columns are checked once it exists.
    let has_revocations = found.iter().any(|(t, ..)| t == "ccert_revocations");
    for (table, column, ty, nullable) in SHAPE {
        if table == "ccert_revocations" && !has_revocations {
            continue;
        }
        let Some((_, _, has_ty, has_null)) =
            found.iter().find(|(t, c, _, _)| t == table && c == column)
        else {
            wrong.push(format!("{table}.{column} is missing"));
            continue;
        };
        // varchar reads as text; every other change does not.
        let same = has_ty == ty || (ty == "text" && has_ty == "character varying");
        if !same {
            wrong.push(format!(
                "{table}.{column} is {has_ty}, not {ty} (ALTER TABLE {table} ALTER COLUMN \
                 {column} TYPE {ty})"
            ));
        }
        if *has_null && !nullable {
            wrong.push(format!(
                "{table}.{column} allows NULL (fill the NULL rows, then ALTER TABLE {table} \
                 ALTER COLUMN {column} SET NOT NULL)"
            ));
        }
    }
    if wrong.is_empty() {
        return Ok(Ok(()));
    }
    Ok(Err(format!(
        "the ccert tables were altered by hand: {}; ccert reads nothing from them until they \
         are restored",
        wrong.join("; ")
    )))
}

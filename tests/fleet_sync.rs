//! `ccert sync` on an operator's bad day, and audits that never write,
//! against a real, throwaway PostgreSQL (tests/pg.rs): a new empty database
//! behind the same `.cf`, row-level security hiding rows, a hand-deleted
//! majority, another list, a `pg_dump`/`pg_restore` restore followed by as
//! many edits as were lost, disabled and dropped triggers, and a `.cf`
//! whose query deletes rows (docs/fleet.md, "What sync refuses and why").

use std::fs;

use crate::fleet::Fleet;
use crate::pg;

/// Inserts `n` rows `PREFIX:000001 host1` … by hand (psql), as a large
/// list would have them, without certificates.
fn insert_rows(f: &Fleet, prefix: &str, n: u32) {
    f.pg.psql(
        "mail",
        &format!(
            "INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) \
             SELECT '{prefix}:' || lpad(i::text, 6, '0'), 'host' || i, 'sha256', 'cert', 'psql' \
             FROM generate_series(1, {n}) i"
        ),
    );
}

/// The copy (FILE) and its table, byte for byte.
fn copy_and_table(f: &Fleet) -> (Vec<u8>, Vec<u8>) {
    (
        fs::read(f.path("local/clientcerts")).unwrap(),
        fs::read(f.path("local/clientcerts.cdb")).unwrap(),
    )
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn sync_refuses_another_database_another_list_and_a_shrink() {
    let Some(f) = Fleet::new("sync_refuses_another_database_another_list_and_a_shrink") else {
        return;
    };
    insert_rows(&f, "aa", 100);
    fs::create_dir(f.path("local")).unwrap();
    let to = format!("cdb:{}", f.path("local/clientcerts").display());
    let map = f.map();
    let sync = |extra: &[&str]| {
        let mut args = vec!["sync", "--from", map.as_str(), "--to", to.as_str()];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let args = sync(extra);
        f.ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let refused = |extra: &[&str]| {
        let args = sync(extra);
        f.fails(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let out = run(&[]);
    assert!(out.contains("100 entries"), "{out}");
    let first = fs::read_to_string(f.path("local/clientcerts")).unwrap();
    let header = first.lines().next().unwrap();
    assert!(
        header.contains(" entries=100 digest=") && header.ends_with(&format!(" from={map}")),
        "{header}"
    );
    let key = "aa:000007";
    assert_eq!(f.ok(&["query", key, &to]), "host7\n");

    // A majority deleted by hand: refused, the old copy and table stay;
    // --allow-shrink takes it. (The copy's first line is made an older
    // ccert's, without entries=: sync counts the copy's entries instead.)
    let old_style = first.replacen(
        &header[header.find(" entries=").unwrap()..header.find(" from=").unwrap()],
        "",
        1,
    );
    assert!(!old_style.lines().next().unwrap().contains("entries="));
    fs::write(f.path("local/clientcerts"), old_style).unwrap();
    f.pg.psql(
        "mail",
        "DELETE FROM ccert_clientcerts WHERE fingerprint > 'aa:000040'",
    );
    let before = copy_and_table(&f);
    let err = refused(&[]);
    assert!(
        err.contains("the list has 40 entries")
            && err.contains("has 100: this sync would remove 60 (more than half)")
            && err.contains("--allow-shrink"),
        "{err}"
    );
    assert_eq!(copy_and_table(&f), before);
    assert_eq!(f.ok(&["query", "aa:000070", &to]), "host70\n");
    assert!(run(&["--allow-shrink"]).contains("40 entries"));
    // Removing fewer than half is an ordinary sync.
    f.pg.psql(
        "mail",
        "DELETE FROM ccert_clientcerts WHERE fingerprint > 'aa:000030'",
    );
    assert!(run(&[]).contains("30 entries"));

    // Row-level security: the .cf's user now is a role that sees no row.
    let good = fs::read_to_string(&f.cf).unwrap();
    f.pg.psql(
        "mail",
        &format!(
            "CREATE ROLE reader LOGIN PASSWORD '{}'; \
             GRANT SELECT ON ccert_state, ccert_clientcerts TO reader; \
             ALTER TABLE ccert_clientcerts ENABLE ROW LEVEL SECURITY",
            pg::PASSWORD
        ),
    );
    fs::write(&f.cf, good.replace("user = ccert", "user = reader")).unwrap();
    let before = copy_and_table(&f);
    let err = refused(&[]);
    assert!(
        err.contains("the list has 0 entries") && err.contains("row-level security"),
        "{err}"
    );
    assert_eq!(copy_and_table(&f), before);
    assert_eq!(f.ok(&["query", key, &to]), "host7\n");
    fs::write(&f.cf, &good).unwrap();
    assert!(run(&[]).contains("up to date (30 entries"));

    // Another .cf (another list, as far as FILE knows): refused, --force takes it.
    let other = f.path("conf/other.pgsql.cf");
    fs::copy(&f.cf, &other).unwrap();
    let other_map = format!("pgsql:{}", other.display());
    let err = f.fails(&["sync", "--from", &other_map, "--to", &to]);
    assert!(
        err.contains(&format!("was copied from {map}, not from {other_map}"))
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(copy_and_table(&f), before);
    f.ok(&["sync", "--from", &other_map, "--to", &to, "--force"]);
    assert!(run(&["--force"]).contains("wrote"));

    // A new, empty database behind the same .cf (a failover to a freshly
    // initialised server): refused, the old table keeps answering.
    f.pg.psql("postgres", "CREATE DATABASE mail2");
    fs::write(&f.cf, good.replace("dbname = mail", "dbname = mail2")).unwrap();
    let out = f.ok(&["db", "init", &map]);
    assert!(out.contains("created the ccert tables"), "{out}");
    let before = copy_and_table(&f);
    let err = refused(&[]);
    assert!(
        err.contains("the database is not the one")
            && err.contains("nothing changed, the old table stays in place")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(copy_and_table(&f), before);
    assert_eq!(f.ok(&["query", key, &to]), "host7\n");
    // --allow-shrink is not enough for another database.
    assert!(refused(&["--allow-shrink"]).contains("the database is not the one"));
    assert!(run(&["--force"]).contains("0 entries"));
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn sync_notices_a_restore_and_disabled_triggers_the_generation_misses() {
    let Some(f) = Fleet::new("sync_notices_a_restore_and_disabled_triggers_the_generation_misses")
    else {
        return;
    };
    insert_rows(&f, "bb", 10);
    fs::create_dir(f.path("local")).unwrap();
    let to = format!("cdb:{}", f.path("local/clientcerts").display());
    let map = f.map();
    let sync = || f.ok(&["sync", "--from", &map, "--to", &to]);
    let generation = || f.pg.psql("mail", "SELECT generation FROM ccert_state");
    assert!(sync().contains("10 entries"));
    // The backup.
    let dump = f.pg.path("sock/mail.dump");
    let mut args: Vec<String> = vec!["pg_dump".into()];
    args.extend(f.pg.socket_args());
    args.extend(["-Fc", "-f", dump.to_str().unwrap(), "mail"].map(String::from));
    f.pg.tool(&args.iter().map(String::as_str).collect::<Vec<_>>());
    // Two edits after it: one client added, one revoked.
    f.pg.psql(
        "mail",
        "INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) \
         VALUES ('bb:000100', 'late', 'sha256', 'cert', 'psql')",
    );
    f.pg.psql("mail", "DELETE FROM ccert_clientcerts WHERE name = 'host1'");
    assert!(sync().contains("wrote"));
    assert_eq!(f.ok(&["query", "bb:000100", &to]), "late\n");
    let after_edits = generation();
    // The restore, then two other edits: the generation is the copy's again.
    f.pg.psql("postgres", "DROP DATABASE mail WITH (FORCE)");
    f.pg.psql("postgres", "CREATE DATABASE mail");
    let mut args: Vec<String> = vec!["pg_restore".into()];
    args.extend(f.pg.socket_args());
    args.extend(["-d", "mail", dump.to_str().unwrap()].map(String::from));
    f.pg.tool(&args.iter().map(String::as_str).collect::<Vec<_>>());
    f.pg.psql(
        "mail",
        "INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) \
         VALUES ('bb:000200', 'other', 'sha256', 'cert', 'psql')",
    );
    f.pg.psql("mail", "DELETE FROM ccert_clientcerts WHERE name = 'host2'");
    assert_eq!(generation(), after_edits);
    let out = sync();
    assert!(out.contains("wrote") && out.contains("10 entries"), "{out}");
    assert_eq!(f.ok(&["query", "bb:000200", &to]), "other\n");
    assert_eq!(f.ok(&["query", "bb:000001", &to]), "host1\n");
    for gone in ["bb:000100", "bb:000002"] {
        f.ccert(&["query", gone, &to]).status(1).stdout("").run();
    }
    assert!(sync().contains("up to date"));

    // Disabled triggers: a revocation by hand leaves the generation as it
    // was; sync still sees it.
    f.pg.psql(
        "mail",
        "ALTER TABLE ccert_clientcerts DISABLE TRIGGER USER; \
         DELETE FROM ccert_clientcerts WHERE name = 'host3'",
    );
    assert_eq!(generation(), after_edits);
    assert!(sync().contains("wrote"));
    f.ccert(&["query", "bb:000003", &to])
        .status(1)
        .stdout("")
        .run();
    // A rename by hand, too (same count, other content).
    f.pg.psql(
        "mail",
        "UPDATE ccert_clientcerts SET name = 'renamed' WHERE name = 'host4'",
    );
    assert!(sync().contains("wrote"));
    assert_eq!(f.ok(&["query", "bb:000004", &to]), "renamed\n");

    // doctor names disabled and dropped triggers.
    fs::write(
        f.path("conf/main.cf"),
        format!("relay_clientcerts = {map}\n"),
    )
    .unwrap();
    let text = f.doctor();
    for name in [
        "ccert_inserted",
        "ccert_updated",
        "ccert_deleted",
        "ccert_truncated",
    ] {
        assert!(
            text.contains(&format!(
                "the trigger {name} on ccert_clientcerts is disabled"
            )),
            "{text}"
        );
    }
    assert!(
        text.contains("ALTER TABLE ccert_clientcerts ENABLE TRIGGER ccert_deleted"),
        "{text}"
    );
    f.pg.psql(
        "mail",
        "ALTER TABLE ccert_clientcerts ENABLE TRIGGER USER; \
         DROP TRIGGER ccert_truncated ON ccert_clientcerts",
    );
    let text = f.doctor();
    assert!(
        text.contains("the trigger ccert_truncated on ccert_clientcerts is missing")
            && text.contains("CREATE TRIGGER ccert_truncated AFTER TRUNCATE")
            && !text.contains("is disabled"),
        "{text}"
    );
}

#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn doctor_runs_the_cf_query_read_only() {
    let Some(f) = Fleet::new("doctor_runs_the_cf_query_read_only") else {
        return;
    };
    insert_rows(&f, "cc", 5);
    let good = fs::read_to_string(&f.cf).unwrap();
    fs::write(
        &f.cf,
        good.replace(
            "query = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'",
            "query = DELETE FROM ccert_clientcerts WHERE fingerprint <> '%s' RETURNING name",
        ),
    )
    .unwrap();
    fs::write(
        f.path("conf/main.cf"),
        format!("relay_clientcerts = {}\n", f.map()),
    )
    .unwrap();
    let text = f.doctor();
    assert!(
        text.contains("the query fails") && text.contains("read-only transaction"),
        "{text}"
    );
    assert_eq!(
        f.pg.psql("mail", "SELECT count(*) FROM ccert_clientcerts"),
        "5"
    );
    // The other checks still ran: the triggers are all there and enabled.
    assert!(!text.contains("the trigger "), "{text}");
}

/// Polls `sql` on database `db` until it returns `want` (replication is
/// asynchronous), for at most 60 s.
fn wait_for(f: &Fleet, db: &str, sql: &str, want: &str) {
    let start = std::time::Instant::now();
    loop {
        let got = f.pg.psql(db, sql);
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{db}: {sql} gave {got:?}, not {want:?}, after 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A logical-replication subscriber: replicated rows do not fire ordinary
/// triggers, so its generation never moves; sync follows its content all
/// the same, and doctor says why the generation stands still.
#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn a_logical_replication_subscriber_is_followed_by_its_content() {
    let Some(mut f) = Fleet::new("a_logical_replication_subscriber_is_followed_by_its_content")
    else {
        return;
    };
    let conf = f.pg.path("data/postgresql.conf");
    let mut text = fs::read_to_string(&conf).unwrap();
    text.push_str("\nwal_level = logical\n");
    fs::write(&conf, text).unwrap();
    f.pg.stop_server();
    f.pg.start_server();
    insert_rows(&f, "dd", 5);
    f.pg.psql(
        "mail",
        "CREATE PUBLICATION ccert_pub FOR TABLE ccert_clientcerts",
    );
    // In one cluster the slot is made apart from the subscription.
    f.pg.psql(
        "mail",
        "SELECT 1 FROM pg_create_logical_replication_slot('ccert_sub', 'pgoutput')",
    );
    f.pg.psql("postgres", "CREATE DATABASE replica");
    let replica = f.path("conf/replica.pgsql.cf");
    fs::write(
        &replica,
        fs::read_to_string(&f.cf)
            .unwrap()
            .replace("dbname = mail", "dbname = replica"),
    )
    .unwrap();
    fs::set_permissions(
        &replica,
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    let map = format!("pgsql:{}", replica.display());
    f.ok(&["db", "init", &map]);
    f.pg.psql(
        "replica",
        &format!(
            "CREATE SUBSCRIPTION ccert_sub CONNECTION 'host={} port={} dbname=mail user=ccert' \
             PUBLICATION ccert_pub WITH (create_slot = false, slot_name = 'ccert_sub')",
            f.pg.path("sock").display(),
            f.pg.port
        ),
    );
    let count = "SELECT count(*) FROM ccert_clientcerts";
    wait_for(&f, "replica", count, "5");
    let generation = "SELECT generation FROM ccert_state";
    assert_eq!(f.pg.psql("replica", generation), "0");
    fs::create_dir(f.path("local")).unwrap();
    let to = format!("cdb:{}", f.path("local/clientcerts").display());
    let sync = || f.ok(&["sync", "--from", &map, "--to", &to]);
    assert!(sync().contains("5 entries"));
    // A revocation and a new client on the publisher reach the copy,
    // though the subscriber's generation stays 0.
    f.pg.psql(
        "mail",
        "DELETE FROM ccert_clientcerts WHERE name = 'host2'; \
         INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) \
         VALUES ('dd:000100', 'new', 'sha256', 'cert', 'psql')",
    );
    wait_for(
        &f,
        "replica",
        "SELECT string_agg(name, ' ' ORDER BY name) FROM ccert_clientcerts",
        "host1 host3 host4 host5 new",
    );
    assert_eq!(f.pg.psql("replica", generation), "0");
    assert!(sync().contains("wrote"));
    f.ccert(&["query", "dd:000002", &to])
        .status(1)
        .stdout("")
        .run();
    assert_eq!(f.ok(&["query", "dd:000100", &to]), "new\n");
    // doctor on the subscriber explains the generation that stands still.
    fs::write(
        f.path("conf/main.cf"),
        format!("relay_clientcerts = {map}\n"),
    )
    .unwrap();
    let text = f.stdout(f.ccert(&["doctor"]).status_among(&[0, 1]));
    assert!(
        text.contains("subscribes to a logical replication")
            && text.contains("ENABLE ALWAYS TRIGGER ccert_inserted"),
        "{text}"
    );
    // The subscription goes before the cluster stops (its worker would retry).
    f.pg.psql("replica", "ALTER SUBSCRIPTION ccert_sub DISABLE");
    f.pg.psql(
        "replica",
        "ALTER SUBSCRIPTION ccert_sub SET (slot_name = NONE)",
    );
    f.pg.psql("replica", "DROP SUBSCRIPTION ccert_sub");
}

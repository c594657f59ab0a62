//! End to end: two live Postfix instances (tests/live.rs) share one
//! PostgreSQL list (tests/pg.rs). Server A reads `pgsql:` directly; server
//! B reads a cdb table kept by `ccert sync`; A also has a listener reading
//! the list through proxymap (`proxy:pgsql:`, listed in proxy_read_maps). `ccert add`/`remove` run
//! against A's configuration (the list is found through relay_clientcerts).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::live::{self, Instance};
use crate::pg::{self, Cluster};

#[test]
#[cfg_attr(
    any(
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "postgresql",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs openssl, postfix, postgresql, root and swaks"
)]
fn two_servers_share_one_database_list() {
    let test = "two_servers_share_one_database_list";
    let Some(tools) = live::tools(test) else {
        return;
    };
    let Some(mut db) = Cluster::start(test) else {
        return;
    };
    let mut direct = Instance::new(&tools, "fleet-direct");
    let mut synced = Instance::new(&tools, "fleet-synced");
    let cf = direct.path("conf/clientcerts.pgsql.cf");
    let pw = direct.path("pw");
    fs::write(&pw, pg::PASSWORD).unwrap();
    fs::set_permissions(&pw, fs::Permissions::from_mode(0o600)).unwrap();
    let map = format!("pgsql:{}", cf.display());
    direct
        .ccert(&[
            "db",
            "init",
            &map,
            "--hosts",
            &db.inet_host(),
            "--dbname",
            "mail",
            "--user",
            "ccert",
            "--password-file",
            pw.to_str().unwrap(),
        ])
        .run();
    let local = synced.table("cdb");
    let sync = |synced: &Instance| {
        synced
            .ccert(&["sync", "--from", &map, "--to", &local])
            .run();
    };
    sync(&synced);
    let port_a = direct.listener("direct", &map, &[]);
    let port_b = synced.listener("synced", &local, &[]);
    // A's second listener reads the same list through proxymap.
    let proxied = format!("proxy:{map}");
    let port_p = direct.listener("proxied", &proxied, &[]);
    // Keeping the default's table that local_recipient_maps reads through proxymap.
    direct.main_extra = format!("proxy_read_maps = proxy:unix:passwd.byname {proxied}\n");
    direct.start();
    synced.start();
    let client = live::make_cert(&tools.openssl, &direct.path("certs"), "laptop", &live::EC);
    let code = |port| live::rcpt(&tools.swaks, port, Some(&client));
    let show =
        |r: &live::Reply, inst: &Instance| format!("{}\n--- log\n{}", r.transcript, inst.log());

    // Unknown everywhere.
    let r = code(port_a);
    assert_eq!(r.code, 554, "{}", show(&r, &direct));
    // Added through A's configuration: A relays at once, B after a sync.
    direct.ccert(&["add", client.cert.to_str().unwrap()]).run();
    let r = code(port_a);
    assert_eq!(r.code, 250, "{}", show(&r, &direct));
    let r = code(port_p);
    assert_eq!(r.code, 250, "through proxymap: {}", show(&r, &direct));
    let r = code(port_b);
    assert_eq!(r.code, 554, "before the sync: {}", show(&r, &synced));
    sync(&synced);
    let r = code(port_b);
    assert_eq!(r.code, 250, "{}", show(&r, &synced));
    // Removed: both refuse (B after its sync).
    direct
        .ccert(&["remove", client.cert.to_str().unwrap(), "--yes"])
        .stderr_contains(format!(
            "ccert: 1 entry in {map} matches the fingerprints of {}:\n",
            client.cert.display()
        ))
        .run();
    sync(&synced);
    let r = code(port_a);
    assert_eq!(r.code, 554, "{}", show(&r, &direct));
    let r = code(port_p);
    assert_eq!(r.code, 554, "through proxymap: {}", show(&r, &direct));
    let r = code(port_b);
    assert_eq!(r.code, 554, "{}", show(&r, &synced));
    // Database down: A answers 4xx (temporary lookup failure), B keeps relaying.
    direct.ccert(&["add", client.cert.to_str().unwrap()]).run();
    sync(&synced);
    db.stop_server();
    let r = code(port_a);
    assert!((400..500).contains(&r.code), "{}", show(&r, &direct));
    let r = code(port_p);
    assert!(
        (400..500).contains(&r.code),
        "through proxymap: {}",
        show(&r, &direct)
    );
    let r = code(port_b);
    assert_eq!(r.code, 250, "{}", show(&r, &synced));
}

/// `db init` with a URI host keeps the password out of the URI (Postfix
/// writes a URI host as it is into its connection warnings): the URI names
/// a password file (`passfile=`, 0600, owned by postfix), Postfix's libpq
/// authenticates with it (250), and with the database down the mail log
/// names the host but never the password. A hand-written URI holding the
/// password, on another listener, shows that the log would hold it.
#[test]
#[cfg_attr(
    any(
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "postfix-pgsql",
        ccert_missing = "postgresql",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs openssl, postfix, postfix-pgsql, postgresql, root and swaks"
)]
fn a_uri_password_never_reaches_the_mail_log() {
    let test = "a_uri_password_never_reaches_the_mail_log";
    let Some(tools) = live::tools(test) else {
        return;
    };
    let Some(mut db) = Cluster::start(test) else {
        return;
    };
    let mut inst = Instance::new(&tools, "fleet-passfile");
    let cf = inst.path("conf/clientcerts.pgsql.cf");
    let pw = inst.path("pw");
    fs::write(&pw, pg::PASSWORD).unwrap();
    fs::set_permissions(&pw, fs::Permissions::from_mode(0o600)).unwrap();
    let map = format!("pgsql:{}", cf.display());
    let uri = format!("postgresql://127.0.0.1:{}/mail", db.port);
    inst.ccert(&[
        "db",
        "init",
        &map,
        "--hosts",
        &uri,
        "--user",
        "ccert",
        "--password-file",
        pw.to_str().unwrap(),
    ])
    .run();
    let text = fs::read_to_string(&cf).unwrap();
    let pgpass = inst.path("conf/clientcerts.pgsql.cf.pgpass");
    assert!(
        !text.contains(pg::PASSWORD) && text.contains(&format!("&passfile={}", pgpass.display())),
        "{text}"
    );
    let meta = fs::metadata(&pgpass).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let postfix = Command::new("id").args(["-u", "postfix"]).output().unwrap();
        let uid: u32 = String::from_utf8_lossy(&postfix.stdout)
            .trim()
            .parse()
            .unwrap();
        assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), uid);
    }
    // The same list through a hand-written URI that holds the password.
    let leaky = inst.path("conf/leaky.pgsql.cf");
    fs::write(
        &leaky,
        format!(
            "hosts = postgresql://ccert:{}@127.0.0.1:{}/mail?connect_timeout=10\n\
             dbname = mail\nquery = SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'\n\
             expansion_limit = 1\n",
            pg::PASSWORD,
            db.port
        ),
    )
    .unwrap();
    fs::set_permissions(&leaky, fs::Permissions::from_mode(0o644)).unwrap();
    let port = inst.listener("passfile", &map, &[]);
    let leaky_port = inst.listener("leaky", &format!("pgsql:{}", leaky.display()), &[]);
    inst.start();
    let client = live::make_cert(&tools.openssl, &inst.path("certs"), "laptop", &live::EC);
    inst.ccert(&["--map", &map, "add", client.cert.to_str().unwrap()])
        .run();
    let show =
        |r: &live::Reply, inst: &Instance| format!("{}\n--- log\n{}", r.transcript, inst.log());
    // Postfix authenticates with the password file.
    let r = live::rcpt(&tools.swaks, port, Some(&client));
    assert_eq!(r.code, 250, "{}", show(&r, &inst));
    let r = live::rcpt(&tools.swaks, leaky_port, Some(&client));
    assert_eq!(r.code, 250, "{}", show(&r, &inst));

    // The database goes down: both answer 4xx and log the host (a broken
    // connection as "pgsql query failed: fatal error from host URI", a new
    // one as "connect to pgsql server URI").
    db.stop_server();
    for p in [port, leaky_port] {
        let r = live::rcpt(&tools.swaks, p, Some(&client));
        assert!((400..500).contains(&r.code), "{}", show(&r, &inst));
    }
    let log = inst.log();
    let warnings = |label: &str| -> Vec<String> {
        log.lines()
            .filter(|l| {
                l.contains(&format!("postfix/{label}/"))
                    && l.contains("warning:")
                    && l.contains("pgsql")
            })
            .map(str::to_string)
            .collect()
    };
    let ours = warnings("passfile");
    assert!(!ours.is_empty(), "no connection warning logged:\n{log}");
    assert!(
        ours.iter().any(|l| {
            // "connect to pgsql server URI" or "… fatal error from host URI".
            l.contains(" postgresql://ccert@127.0.0.1:") && l.contains("passfile=")
        }),
        "{ours:?}"
    );
    // The control: the hand-written URI put the password into the log.
    let theirs = warnings("leaky");
    assert!(
        theirs.iter().any(|l| l.contains(pg::PASSWORD)),
        "the hand-written URI's warning should show what is at stake: {theirs:?}"
    );
    for line in log.lines().filter(|l| !l.contains("postfix/leaky/")) {
        assert!(!line.contains(pg::PASSWORD), "{line}");
    }
}

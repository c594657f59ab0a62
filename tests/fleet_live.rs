//! End to end: two live Postfix instances (tests/live.rs) share one
//! PostgreSQL list (tests/pg.rs). Server A reads `pgsql:` directly; server
//! B reads a cdb table kept by `ccert sync`; A also has a listener reading
//! the list through proxymap (`proxy:pgsql:`, listed in proxy_read_maps). `ccert add`/`remove` run
//! against A's configuration (the list is found through relay_clientcerts).

use std::fs;
use std::os::unix::fs::PermissionsExt;

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

//! A check_ccert_access table built by `ccert add` against a live smtpd:
//! its entries hold an access(5) action, so a listed client relays (250),
//! where a name as value would make smtpd answer 451 4.3.5 (it reads any
//! word that is not an action as a restriction name).

use std::fs;

use crate::live::{self, Instance};

#[test]
#[cfg_attr(
    any(
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs openssl, postfix, root and swaks"
)]
fn an_access_table_built_by_add_answers_250_never_451() {
    let test = "access_live::an_access_table_built_by_add_answers_250_never_451";
    let Some(tools) = live::tools(test) else {
        return;
    };
    let mut inst = Instance::new(&tools, test);
    let conf = inst.conf();
    let access = conf.join("access");
    let relay = inst.table("cdb");
    let port = inst.listener(
        "access",
        &relay,
        &[&format!(
            "{{smtpd_relay_restrictions = check_ccert_access cdb:{}, reject}}",
            access.display()
        )],
    );
    inst.write_config();
    // relay_clientcerts must open (smtpd opens it at start), empty is fine.
    fs::write(inst.source(), "").unwrap();
    inst.ccert(&["compile", &relay]).run();
    let client = live::make_cert(&tools.openssl, &inst.path("certs"), "laptop", &live::EC);
    let stranger = live::make_cert(&tools.openssl, &inst.path("certs"), "stranger", &live::EC);
    inst.ccert(&[
        "--map",
        access.to_str().unwrap(),
        "add",
        client.cert.to_str().unwrap(),
        "--name",
        "laptop",
    ])
    .stderr_contains("is a check_ccert_access table")
    .stderr_contains("built")
    .run();
    let text = fs::read_to_string(&access).unwrap();
    assert!(text.contains(" name=laptop "), "{text}");
    assert!(
        text.lines()
            .any(|l| !l.starts_with('#') && l.ends_with(" OK")),
        "{text}"
    );
    inst.start();
    let listed = live::rcpt(&tools.swaks, port, Some(&client));
    assert_eq!(listed.code, 250, "{}", listed.transcript);
    let unlisted = live::rcpt(&tools.swaks, port, Some(&stranger));
    assert!(
        (500..600).contains(&unlisted.code),
        "{}",
        unlisted.transcript
    );

    // What ccert wrote before: the name as the value. smtpd answers 451
    // 4.3.5, and `add --replace` repairs the entry to the action.
    let broken = text.replace(" OK\n", " laptop\n");
    fs::write(&access, &broken).unwrap();
    inst.ccert(&["compile", &format!("cdb:{}", access.display())])
        .run();
    let misread = live::rcpt(&tools.swaks, port, Some(&client));
    assert_eq!(misread.code, 451, "{}", misread.transcript);
    assert!(
        misread.transcript.contains("4.3.5"),
        "{}",
        misread.transcript
    );
    // doctor says so, naming the line.
    let audit = inst.ccert(&["doctor"]).status(1).any_stderr().run();
    let line = broken.lines().position(|l| l.ends_with(" laptop")).unwrap() + 1;
    assert!(
        audit.stdout.contains(&format!(
            "{}:{line}: check_ccert_access ({port}/inet: smtpd_relay_restrictions): the value \"laptop\" is not an access(5) action",
            access.display()
        )),
        "{}",
        audit.stdout
    );
    inst.ccert(&[
        "--map",
        access.to_str().unwrap(),
        "add",
        client.cert.to_str().unwrap(),
        "--name",
        "laptop",
        "--replace",
    ])
    .any_stderr()
    .run();
    let repaired = live::rcpt(&tools.swaks, port, Some(&client));
    assert_eq!(repaired.code, 250, "{}", repaired.transcript);
    let audit = inst
        .ccert(&["doctor"])
        .status_among(&[0, 1])
        .any_stderr()
        .run();
    assert!(!audit.stdout.contains("access(5)"), "{}", audit.stdout);
}

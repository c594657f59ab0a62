//! The README is a contract: every shell block a user would copy runs as
//! written, through the builder, with the `ccert` under test first on PATH.
//!
//! * try-it-now: as written, in its own mktemp directory.
//! * the quick start: the workstation's and the server's blocks, each in a
//!   scratch configuration directory standing for /etc/postfix (the only
//!   substitution), with server-config's lines pasted as the README says.
//! * install: the man-page and completion lines into a scratch root standing
//!   for /usr/local; the package files and scripts they name exist.
//! * fleet: against the suite's throwaway PostgreSQL cluster.
//! * the `ccert check`, `ccert log` and `ccert probe` console examples: run as written
//!   (a scratch mail log, the suite's live Postfix), their printed output
//!   compared with the README's.
//! * blocks that cannot run here (dpkg -i, systemd units) are checked with
//!   `bash -n` and for the paths and options they name.
//!
//! `every_shell_block_is_run_or_checked` fails when a `sh` or `console`
//! block appears that no test here claims.

use crate::oracle;
use crate::test::Test;

/// The shell code between the try-it-now markers of README.md.
fn try_it_now_block() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("reading README.md");
    let start = readme
        .find("<!-- try-it-now")
        .expect("README.md has no try-it-now block");
    let rest = &readme[start..];
    let code = &rest[rest.find("```sh\n").expect("the block opens with ```sh") + 6..];
    code[..code.find("```").expect("the block is closed")].to_string()
}

/// A fenced code block of README.md.
struct Block {
    /// The info string (`sh`, `console`, `ini`, empty).
    lang: String,
    /// The code.
    code: String,
}

/// Every fenced block of README.md, in order.
fn blocks() -> Vec<Block> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("reading README.md");
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(lang) = line.strip_prefix("```") else {
            continue;
        };
        let mut code = String::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            code.push_str(line);
            code.push('\n');
        }
        blocks.push(Block {
            lang: lang.trim().to_string(),
            code,
        });
    }
    blocks
}

/// The one `sh` block whose code contains `marker`.
fn sh_block(marker: &str) -> String {
    let found: Vec<Block> = blocks()
        .into_iter()
        .filter(|b| b.lang == "sh" && b.code.contains(marker))
        .collect();
    assert_eq!(found.len(), 1, "README.md: one sh block with {marker:?}");
    found.into_iter().next().unwrap().code
}

/// What identifies each `sh` block, and which test runs or checks it.
const CLAIMED: &[(&str, &str)] = &[
    ("dpkg -i ccert_", "readme_install_blocks"),
    ("dnf install ./ccert-", "readme_install_blocks"),
    ("cargo install --locked --path .", "readme_install_blocks"),
    ("scripts/portable", "readme_install_blocks"),
    ("cfg=$(mktemp -d)", "readme_try_it_now_block_runs"),
    (
        "ccert issue chinacat --out /etc/postfix",
        "readme_quick_start",
    ),
    ("ccert server-config", "readme_quick_start"),
    (
        "ccert add chinacat.pem --name chinacat",
        "readme_quick_start",
    ),
    ("ccert db init pgsql:", "readme_fleet_block"),
    (
        "revoke --name laptop --yes  # every server denies it",
        "readme_fleet_block",
    ),
    (
        "ccert revoke --name old-laptop --dry-run",
        "readme_revocation_block",
    ),
    ("systemctl daemon-reload", "readme_systemd_blocks"),
    ("cargo test\n", ".ci/run (the suite itself)"),
    ("ccert rotate chinacat", "readme_rotation_block"),
    ("ccert prune --expired --dry-run", "readme_prune_block"),
];

/// What identifies each `console` block (commands with their output), and
/// which test runs it.
const CLAIMED_CONSOLE: &[(&str, &str)] = &[
    (
        "$ ccert check --warning 30 --critical 7",
        "readme_check_example",
    ),
    ("$ ccert log --since 7d", "readme_log_example"),
    ("$ ccert probe ", "readme_probe_example"),
];

#[test]
fn every_shell_block_is_run_or_checked() {
    for block in blocks().iter().filter(|b| b.lang == "sh") {
        assert!(
            CLAIMED
                .iter()
                .any(|(marker, _)| block.code.contains(marker)),
            "README.md has a sh block no test in tests/readme.rs runs or checks:\n{}",
            block.code
        );
    }
    for block in blocks().iter().filter(|b| b.lang == "console") {
        assert!(
            CLAIMED_CONSOLE
                .iter()
                .any(|(marker, _)| block.code.contains(marker)),
            "README.md has a console block no test in tests/readme.rs runs:\n{}",
            block.code
        );
    }
    for block in blocks()
        .iter()
        .filter(|b| b.lang.is_empty() || b.lang == "ini")
    {
        // Configuration excerpts are not commands; none may hide one.
        assert!(
            !block
                .code
                .lines()
                .any(|l| l.starts_with("$ ") || l.starts_with("ccert ") || l.starts_with("sudo ")),
            "README.md: a command outside a sh or console block:\n{}",
            block.code
        );
    }
}

/// Runs `script` with bash through the builder, the ccert under test first
/// on PATH, in the builder's scratch directory.
fn bash(script: &str) -> Test {
    let script = format!("set -eu\nPATH=\"$(dirname \"$0\"):$PATH\"\n{script}");
    Test::new().no_config_dir().wrapped(["bash", "-c", &script])
}

/// `bash -n`: the block parses.
fn syntax_ok(code: &str) {
    let out = std::process::Command::new("bash")
        .args(["-n", "-c", code])
        .output()
        .expect("running bash -n");
    assert!(
        out.status.success(),
        "bash -n fails on a README block: {}\n{code}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The install blocks: the package files are the ones scripts/package
/// builds for this version; the scripts exist; the man-page and completion
/// lines run (into a scratch root standing for /usr/local) from the
/// repository, and install every man page and the bash completion.
#[test]
fn readme_install_blocks() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = env!("CARGO_PKG_VERSION");
    let deb = sh_block("dpkg -i ccert_");
    syntax_ok(&deb);
    assert!(
        deb.contains(&format!("ccert_{version}-1_amd64.deb")),
        "the .deb cargo-deb names for version {version}: {deb}"
    );
    let rpm = sh_block("dnf install ./ccert-");
    syntax_ok(&rpm);
    assert!(
        rpm.contains(&format!("ccert-{version}-1.x86_64.rpm")),
        "the .rpm cargo-generate-rpm names for version {version}: {rpm}"
    );
    let scripts = sh_block("scripts/portable");
    syntax_ok(&scripts);
    for script in ["scripts/portable", "scripts/package"] {
        let meta = std::fs::metadata(repo.join(script)).expect(script);
        assert!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0,
            "{script} is not executable"
        );
    }
    let source = sh_block("cargo install --locked --path .");
    syntax_ok(&source);
    assert!(
        repo.join("Cargo.lock").is_file(),
        "--locked needs Cargo.lock"
    );
    // Everything but the (release) build itself, which CI's portable build
    // covers, runs as written into a scratch root.
    let root = tempfile::tempdir().unwrap();
    let root = root.path().to_str().unwrap();
    let rest: String = source
        .lines()
        .filter(|l| !l.starts_with("cargo install"))
        .map(|l| l.replace("/usr/local/", &format!("{root}/")) + "\n")
        .collect();
    assert!(
        !rest.contains(" /usr/"),
        "a path outside /usr/local: {rest}"
    );
    bash(&rest)
        .current_dir(repo)
        .note("the README's install lines")
        .run();
    let pages = std::fs::read_dir(repo.join("man")).unwrap().count();
    let installed = std::fs::read_dir(format!("{root}/share/man/man1"))
        .unwrap()
        .count();
    assert_eq!(installed, pages, "every man page installed");
    assert!(
        std::path::Path::new(&format!("{root}/share/bash-completion/completions/ccert")).is_file()
    );
}

/// The quick start, block by block: the workstation issues its certificate
/// in its own configuration directory; the server (a scratch -c directory
/// with a minimal Debian main.cf and master.cf, no server certificate)
/// runs server-config, pastes its main.cf and master.cf lines and runs its
/// server-certificate command as the README says, then fingerprint, add and
/// doctor, which must find the setup sound (there is no Postfix to reload).
/// On Postfix 3.7 (Debian 12, or the assumed release without Postfix) the
/// main.cf lines the README shows are among those server-config printed.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn readme_quick_start() {
    let workstation = sh_block("ccert issue chinacat --out /etc/postfix");
    let server_config = sh_block("ccert server-config");
    let add = sh_block("ccert add chinacat.pem --name chinacat");
    assert!(add.contains("\npostfix reload\n"), "{add}");
    let add = add.replace(
        "\npostfix reload\n",
        "\n: no Postfix runs for this scratch directory\n",
    );
    let server_config_out: String = server_config
        .lines()
        .map(|l| {
            format!(
                "{} >> server-config.out\n",
                l.split('#').next().unwrap().trim_end()
            )
        })
        .collect();
    let script = format!(
        r#"root=$(pwd)
mkdir -p workstation server/etc
printf '%s\n' 'compatibility_level = 3.6' 'myhostname = mail.example' \
    'smtpd_tls_security_level = may' \
    'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination' \
    > server/etc/main.cf
printf '%s\n' 'smtp      inet  n       -       y       -       -       smtpd' \
    'pickup    unix  n       -       y       60      1       pickup' > server/etc/master.cf
touch -d '-5 seconds' server/etc/main.cf server/etc/master.cf
(cd workstation && export MAIL_CONFIG=$root/workstation
{workstation})
test -s workstation/chinacat.key
cp workstation/chinacat.pem server/
cd server
export MAIL_CONFIG=$root/server/etc
{server_config_out}
sed -n '/^# ---- main.cf ----$/,/^# ---- master.cf ----$/{{/^#/d;/^$/d;p;}}' server-config.out >> etc/main.cf
sed -n '/^# ---- master.cf ----$/,/^$/{{/^#/d;/^$/d;p;}}' server-config.out >> etc/master.cf
sed -n 's/^#   \((umask 077 && openssl .*)\)$/\1/p' server-config.out > make-server-cert
test -s make-server-cert
sh make-server-cert
sed -n 's/^#   \(touch .* && ccert compile .*\)$/\1/p' server-config.out > make-deny-table
test -s make-deny-table
sh make-deny-table
touch -d '-5 seconds' etc/main.cf etc/master.cf
{add}"#,
        workstation = workstation.replace("/etc/postfix", "$root/workstation"),
        add = add.replace("/etc/postfix", "$MAIL_CONFIG"),
    );
    let out = bash(&script)
        .note("the README's quick start")
        .any_stderr()
        .run();
    assert!(out.stdout.contains("looks sound"), "{}", out.stdout);
    assert!(
        out.stderr.lines().all(|l| l.starts_with("ccert: built ")),
        "only add speaks, naming the table it built: {}",
        out.stderr
    );
    let printed = String::from_utf8(out.read("server/server-config.out")).unwrap();
    let conf = std::fs::canonicalize(out.path("server/etc")).unwrap();
    if printed.contains("# For Postfix 3.7") {
        let shown = blocks()
            .into_iter()
            .find(|b| b.lang.is_empty() && b.code.starts_with("relay_clientcerts = "))
            .expect("the README shows server-config's main.cf lines");
        for line in shown.code.lines() {
            let line = line.replace("/etc/postfix", &conf.display().to_string());
            assert!(
                printed.lines().any(|l| l == line),
                "README's {line:?} is not what server-config prints on 3.7:\n{printed}"
            );
        }
    }
}

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn readme_try_it_now_block_runs() {
    if oracle::require("openssl", "readme_try_it_now_block_runs").is_none() {
        return;
    }
    // Through the builder: bash gets the ccert under test as $0 and puts
    // its directory first on PATH. The whole block must exit 0; on standard
    // error only `add` speaks, naming the table it built (in the block's
    // mktemp directory, so checked below).
    let script = format!(
        "set -eu\nPATH=\"$(dirname \"$0\"):$PATH\"\n{}",
        try_it_now_block()
    );
    let out = Test::new()
        .no_config_dir()
        .wrapped(["bash", "-c", &script])
        .note("the README's try-it-now block")
        .stderr_contains("ccert: built /")
        .run();
    assert!(
        out.stderr.lines().count() == 1 && out.stderr.ends_with("/clientcerts.cdb\n"),
        "{}",
        out.stderr
    );
    // Only the submission service asks for client certificates (as
    // server-config proposes): not main.cf, which every service, port 25
    // included, inherits. doctor sees it relay there.
    let block = try_it_now_block();
    let main_cf = &block[block.find("main.cf\" <<EOF").unwrap()..];
    let main_cf = &main_cf[..main_cf.find("\nEOF\n").unwrap()];
    assert!(!main_cf.contains("smtpd_tls_ask_ccert"), "{main_cf}");
    assert!(block.contains("  -o smtpd_tls_ask_ccert=yes\n"), "{block}");
    assert!(
        out.stdout.contains(
            "master.cf:2 (service submission/inet): a client with a listed certificate can relay here"
        ),
        "{}",
        out.stdout
    );
    // query printed the name; doctor (exit 0 under set -e) found the setup sound.
    assert!(
        out.stdout.lines().any(|l| l == "chinacat"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("looks sound"), "{}", out.stdout);
}

/// The fleet block against the suite's PostgreSQL cluster (with TLS, as
/// the block's `sslmode=verify-full` asks): a `ccert_admin` role and the `mail`
/// database as an admin would have them; the host is the cluster's, and
/// `sslrootcert` names the CA that signed its certificate, the only
/// changes besides /etc/postfix and /root standing for scratch directories.
/// The server is set up as the quick start leaves it, with an existing
/// clientcerts list to import; doctor must find it sound, without a
/// warning: Postfix reads through the read-only lookup role.
#[test]
#[cfg_attr(
    any(
        ccert_missing = "postgresql",
        ccert_missing = "postfix",
        ccert_missing = "openssl"
    ),
    ignore = "needs postgresql, postfix and openssl"
)]
fn readme_fleet_block() {
    let Some(openssl) = oracle::require("openssl", "readme_fleet_block") else {
        return;
    };
    if oracle::require("postconf", "readme_fleet_block").is_none() {
        return;
    }
    let Some(mut pg) = crate::pg::Cluster::start("readme_fleet_block") else {
        return;
    };
    let ca = pg.enable_tls(&openssl);
    pg.psql(
        "mail",
        &format!(
            "CREATE ROLE ccert_admin LOGIN CREATEROLE PASSWORD '{}'; \
             GRANT CREATE ON SCHEMA public TO ccert_admin",
            crate::pg::PASSWORD
        ),
    );
    let block = sh_block("ccert db init pgsql:");
    // The README names the database's CA as /etc/postfix/pg-ca.pem: here
    // the suite's CA is copied there (the scratch directory's etc/).
    let uri =
        "postgresql://db.example.com/mail?sslmode=verify-full&sslrootcert=/etc/postfix/pg-ca.pem";
    assert!(block.contains(uri), "{block}");
    let block = block
        .replace(
            uri,
            &format!(
                "postgresql://localhost:{}/mail?sslmode=verify-full&sslrootcert={}",
                pg.port,
                ca.display()
            ),
        )
        // Inside single quotes the shell would not expand $MAIL_CONFIG.
        .replace(
            "'relay_clientcerts = pgsql:/etc/postfix/clientcerts-lookup.pgsql.cf'",
            "\"relay_clientcerts = pgsql:$MAIL_CONFIG/clientcerts-lookup.pgsql.cf\"",
        )
        .replace("/etc/postfix", "$MAIL_CONFIG")
        .replace("/root/", "$root/");
    assert!(
        !block.contains("'relay_clientcerts = pgsql:$MAIL_CONFIG"),
        "{block}"
    );
    let script = format!(
        r#"root=$(pwd)
export MAIL_CONFIG=$root/etc
mkdir etc
(umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 30 \
    -subj /CN=mail.example -keyout /dev/stdout -out /dev/stdout 2>/dev/null > etc/mail.example.pem)
printf '%s\n' 'compatibility_level = 3.6' 'myhostname = mail.example' \
    'smtpd_tls_chain_files = $config_directory/mail.example.pem' 'smtpd_tls_security_level = may' \
    'smtpd_tls_loglevel = 1, peercert' > etc/main.cf
printf '%s\n' 'smtp      inet  n       -       y       -       -       smtpd' \
    'submission inet n       -       y       -       -       smtpd' \
    '  -o smtpd_tls_security_level=encrypt' '  -o smtpd_tls_ask_ccert=yes' \
    '  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject' > etc/master.cf
touch -d '-5 seconds' etc/main.cf etc/master.cf
ccert issue desktop --out . >/dev/null
ccert issue laptop --out . >/dev/null
ccert add desktop.pem --name desktop --no-compile
printf '%s\n' '{password}' > pg-ccert.pw
{block}
ccert list --format plain
{revoke}
"#,
        password = crate::pg::PASSWORD,
        revoke = sh_block("revoke --name laptop --yes  # every server denies it")
            .replace("/etc/postfix", "$MAIL_CONFIG"),
    );
    let out = bash(&script)
        .note("the README's fleet block")
        .any_stderr()
        .timeout(std::time::Duration::from_secs(120))
        .run();
    // Postfix reads through its own read-only role: doctor finds no error
    // and no least-privilege warning (the one warning left is about this
    // scratch master.cf, which has no deny table before the permit).
    assert!(
        out.stdout
            .contains("no errors in the client-certificate relay setup")
            && !out
                .stdout
                .contains("Postfix looks names up as the database user")
            && !out.stdout.contains("error:"),
        "{}",
        out.stdout
    );
    // The passwords are in password files the URIs name, never in a URI.
    for cf in ["clientcerts.pgsql.cf", "clientcerts-lookup.pgsql.cf"] {
        let text = std::fs::read_to_string(out.path(&format!("etc/{cf}"))).unwrap();
        assert!(
            !text.contains(crate::pg::PASSWORD) && text.contains("&passfile="),
            "{cf}:\n{text}"
        );
    }
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert!(
        listed.contains(&"desktop") && listed.contains(&"laptop"),
        "imported and added, both in the database list:\n{}",
        out.stdout
    );
    // The README's revocation on the database list: the entry gone, its
    // certificate and public-key fingerprints revoked.
    assert!(out.stdout.contains("removed 1 entry"), "{}", out.stdout);
    assert_eq!(
        pg.psql("mail", "SELECT count(*) FROM ccert_clientcerts"),
        "1"
    );
    assert_eq!(
        pg.psql(
            "mail",
            "SELECT count(*) FROM ccert_revocations WHERE name = 'laptop'"
        ),
        "2"
    );
    assert!(out.path("etc/clientcerts-lookup-revoked.pgsql.cf").exists());
}

/// The systemd units and their commands cannot run here: the shell block
/// parses, the units run the binary where the packages install it, and the
/// sync command line is one ccert accepts.
#[test]
fn readme_systemd_blocks() {
    let block = sh_block("systemctl daemon-reload");
    syntax_ok(&block);
    let units = blocks()
        .into_iter()
        .find(|b| b.lang == "ini" && b.code.contains("ccert-sync.timer"))
        .expect("the README shows the sync units")
        .code;
    let exec = units
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/bin/ccert"));
    let cargo =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    assert!(
        cargo.contains(r#"["target/release/ccert", "usr/bin/", "755"]"#)
            && cargo.contains(r#"dest = "/usr/bin/ccert""#),
        "the packages install /usr/bin/ccert"
    );
    // clap checks every option before it prints the help and exits 0.
    let args: Vec<&str> = words.collect();
    Test::new()
        .args(&args)
        .arg("--help")
        .stdout_contains("Usage: ccert sync")
        .run();
    for (section, key) in [
        ("[Service]", "Type=oneshot"),
        ("[Timer]", "OnUnitActiveSec=1min"),
        ("[Install]", "WantedBy=timers.target"),
    ] {
        assert!(
            units.contains(section) && units.contains(key),
            "{section} {key}"
        );
    }
}

/// A `console` block of README.md (the one whose text contains `marker`):
/// each `$ ` command with the lines it prints, trailing blanks trimmed.
fn console_block(marker: &str) -> Vec<(String, Vec<String>)> {
    let found: Vec<Block> = blocks()
        .into_iter()
        .filter(|b| b.lang == "console" && b.code.contains(marker))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "README.md: one console block with {marker:?}"
    );
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    for line in found[0].code.lines() {
        match line.strip_prefix("$ ") {
            Some(command) => steps.push((command.to_string(), Vec::new())),
            None => steps
                .last_mut()
                .expect("a console block starts with a command")
                .1
                .push(line.trim_end().to_string()),
        }
    }
    steps
}

/// `text` with each date and time (`2026-12-04 17:41:40`) as
/// `YYYY-MM-DD hh:mm:ss`, the same width, and trailing blanks trimmed.
fn dates_masked(text: &str) -> Vec<String> {
    const SHAPE: &[u8] = b"0000-00-00 00:00:00";
    text.lines()
        .map(|line| {
            let mut b = line.as_bytes().to_vec();
            let mut i = 0;
            while i + SHAPE.len() <= b.len() {
                let fits = SHAPE.iter().zip(&b[i..]).all(|(s, c)| {
                    if *s == b'0' {
                        c.is_ascii_digit()
                    } else {
                        s == c
                    }
                });
                if fits {
                    b[i..i + SHAPE.len()].copy_from_slice(b"YYYY-MM-DD hh:mm:ss");
                    i += SHAPE.len();
                } else {
                    i += 1;
                }
            }
            String::from_utf8(b).unwrap().trim_end().to_string()
        })
        .collect()
}

/// The `ccert log` example, run as written against a mail log that holds
/// what the example shows: twelve sessions of `laptop[192.0.2.7]` on the
/// submission service within the last week, each presenting its
/// certificate (Postfix 3.7's format) and refused. The configuration is a
/// scratch directory standing for /etc/postfix (`MAIL_CONFIG`) whose
/// `maillog_file` names that log; the terminal is 130 columns. The table
/// must be the README's but for the dates (the log's are recent, so that
/// `--since 7d` keeps them). Then the example's `add` line runs as
/// written, and `ccert log --since 7d` finds every client listed (exit 0).
#[test]
fn readme_log_example() {
    let steps = console_block("$ ccert log --since 7d");
    assert_eq!(steps.len(), 2, "{steps:?}");
    let (log, shown) = &steps[0];
    let (add, _) = &steps[1];
    assert_eq!(log, "ccert log --since 7d");
    assert!(
        add.starts_with("ccert add --fingerprint 9A:EA:D9:91:"),
        "{add}"
    );
    let setup = r#"root=$(pwd)
mkdir etc
printf '%s\n' 'compatibility_level = 3.6' "maillog_file = $root/mail.log" \
    "relay_clientcerts = hash:$root/etc/clientcerts" > etc/main.cf
touch -d '-5 seconds' etc/main.cf
: > etc/clientcerts
fp=B3:6D:99:77:D7:EB:F0:7E:3C:25:19:B9:88:2C:0F:6D:5D:81:60:CD:FF:5E:4A:A7:66:92:05:B6:FE:22:1E:FB
pk=9A:EA:D9:91:62:0C:D0:C4:FF:61:8A:DF:0B:ED:59:02:5B:C6:89:47:30:0C:E0:C9:C4:2C:95:DA:12:EB:73:C7
for i in $(seq 1 12); do
    at=$(date -u -d "-$((72 - i * 3)) hours" '+%b %e %H:%M:%S')
    echo "$at mx postfix/submission/smtpd[$((8000 + i))]: laptop[192.0.2.7]: subject_CN=laptop, issuer=Example CA, fingerprint=$fp, pkey_fingerprint=$pk"
    echo "$at mx postfix/submission/smtpd[$((8000 + i))]: NOQUEUE: reject: RCPT from laptop[192.0.2.7]: 554 5.7.1 <friend@example.net>: Relay access denied; from=<me@example.com> to=<friend@example.net> proto=ESMTP helo=<laptop>"
done > mail.log
"#;
    let run = |script: String, status: i32| {
        bash(&format!("{setup}export MAIL_CONFIG=$root/etc\n{script}"))
            .env("TZ", "UTC")
            .env("COLUMNS", "130")
            .note("the README's ccert log example")
            .status(status)
            .any_stderr()
            .run()
    };
    // Exit 1: a client whose certificate is not listed was seen.
    let out = run(format!("{log}\n"), 1);
    assert_eq!(
        dates_masked(&out.stdout),
        dates_masked(&shown.join("\n")),
        "the README's `ccert log` output differs from the real one:\n{}",
        out.stdout
    );
    assert_eq!(out.stderr, "", "{}", out.stderr);
    // The README's add line, then nobody is unknown any more.
    let out = run(format!("{add}\n{log}\n"), 0);
    assert!(
        !out.stdout.contains("laptop[192.0.2.7]"),
        "listed now, so not shown:\n{}",
        out.stdout
    );
}

/// The `ccert probe` example, run as written against a live smtpd: a
/// submission-like listener that asks for a certificate and relays only for
/// listed ones (`permit_tls_clientcerts, reject`), and the workstation's
/// `laptop.pem`/`laptop.key`, which are not listed. `mail.example.com:587`
/// stands for the listener's 127.0.0.1 port and the server certificate's
/// `CN=server.example` for `CN=mail.example.com` (the only substitutions);
/// the fingerprints, new for each run, are compared by shape. The printed
/// report must be the README's.
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
fn readme_probe_example() {
    let steps = console_block("$ ccert probe ");
    assert_eq!(steps.len(), 1, "{steps:?}");
    let (probe, shown) = &steps[0];
    let Some(tools) = crate::live::tools("readme_probe_example") else {
        return;
    };
    let mut inst = crate::live::Instance::new(&tools, "readme_probe_example");
    let table = inst.table("hash");
    let port = inst.listener("submission", &table, &[]);
    let laptop = crate::live::make_cert(
        &tools.openssl,
        &inst.path("certs"),
        "laptop",
        &crate::live::EC,
    );
    // The list is empty: laptop is not in it.
    std::fs::write(inst.source(), "").unwrap();
    inst.ccert(&["compile", &table]).run();
    inst.start();
    let here = format!("127.0.0.1:{port}");
    assert!(probe.contains("mail.example.com:587"), "{probe}");
    let command = probe.replace("mail.example.com:587", &here);
    let script = format!(
        "cp {cert} laptop.pem && cp {key} laptop.key\nexport MAIL_CONFIG={conf}\n{command}\n",
        cert = laptop.cert.display(),
        key = laptop.key.display(),
        conf = inst.conf().display(),
    );
    // Exit 1: every verdict but `permitted`.
    let out = bash(&script)
        .note("the README's ccert probe example")
        .status(1)
        .run();
    let fingerprints = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| {
                l.split(' ')
                    .map(|w| {
                        if w.matches(':').count() >= 2
                            && w.chars()
                                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '…')
                        {
                            "FINGERPRINT"
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim_end()
                    .to_string()
            })
            .collect()
    };
    let real = out
        .stdout
        .replace(&here, "mail.example.com:587")
        .replace("CN=server.example", "CN=mail.example.com");
    assert_eq!(
        fingerprints(&real),
        fingerprints(&shown.join("\n")),
        "the README's `ccert probe` output differs from the real one:\n{real}\n--- log\n{}",
        inst.log()
    );
}

/// The `ccert check` example, run as written on a list like the one it
/// shows: a certificate that expired (fixtures/expired.pem, `old-laptop`),
/// one valid for a year, and an entry added by fingerprint. The status line
/// and the long output must be the README's but for the days to the
/// soonest expiry, which grow every day. The textfile line runs with a
/// scratch directory for /var/lib/prometheus/node-exporter; the timer it
/// enables is the one the packages ship.
#[test]
fn readme_check_example() {
    let steps = console_block("$ ccert check --warning 30 --critical 7");
    assert_eq!(steps.len(), 3, "{steps:?}");
    let (check, shown) = &steps[0];
    let (textfile, _) = &steps[1];
    let (enable, _) = &steps[2];
    assert_eq!(check, "ccert check --warning 30 --critical 7");
    let exporter = "/var/lib/prometheus/node-exporter";
    assert!(textfile.contains(exporter), "{textfile}");
    assert!(
        enable.starts_with("systemctl enable --now ccert-check.timer"),
        "{enable}"
    );
    let unit = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/systemd/ccert-check.timer"
    );
    assert!(std::path::Path::new(unit).is_file(), "{unit}");
    let script = format!(
        r#"root=$(pwd)
mkdir etc textfiles
printf '%s\n' 'compatibility_level = 3.6' "relay_clientcerts = cdb:$root/etc/clientcerts" > etc/main.cf
touch -d '-5 seconds' etc/main.cf
export MAIL_CONFIG=$root/etc
cp {fixtures}/expired.pem old-laptop.pem
ccert issue desktop --days 365 --out . > /dev/null
ccert add desktop.pem --name desktop > /dev/null 2>&1
ccert add old-laptop.pem --name old-laptop > /dev/null 2>&1
ccert add --fingerprint AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89 --name phone > /dev/null 2>&1
# Exit 2 (CRITICAL) from both: the expired entry.
status=0
{check} > check.out || status=$?
test "$status" = 2
status=0
{{ {textfile}
}} || status=$?
test "$status" = 2
test -s textfiles/ccert.prom
cat check.out
"#,
        fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"),
        textfile = textfile.replace(exporter, "$root/textfiles"),
    );
    let out = bash(&script).note("the README's ccert check example").run();
    // soonest_expiry_days=-2166.51;30;7;; : the number changes daily.
    let days = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| {
                let Some(at) = l.find("soonest_expiry_days=") else {
                    return l.trim_end().to_string();
                };
                let rest = &l[at..];
                let end = rest.find(';').unwrap_or(rest.len());
                format!("{}soonest_expiry_days=N{}", &l[..at], &rest[end..])
                    .trim_end()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        days(&out.stdout),
        days(&shown.join("\n")),
        "the README's `ccert check` output differs from the real one:\n{}",
        out.stdout
    );
}

/// A scratch configuration directory standing for /etc/postfix (exported
/// as MAIL_CONFIG) whose relay_clientcerts is a cdb table, with chinacat
/// issued and added as the quick start leaves it.
const LIFECYCLE_SETUP: &str = r#"root=$(pwd)
mkdir etc
printf '%s\n' 'compatibility_level = 3.6' "relay_clientcerts = cdb:$root/etc/clientcerts" > etc/main.cf
touch -d '-5 seconds' etc/main.cf
export MAIL_CONFIG=$root/etc
ccert issue chinacat --out "$MAIL_CONFIG" > /dev/null
ccert add "$MAIL_CONFIG/chinacat.pem" --name chinacat > /dev/null
"#;

/// The Rotation block as written (/etc/postfix standing for the scratch
/// directory): up to prune, then a mail log with the line smtpd writes for
/// the renewed certificate (at /var/log/mail.log's place), then prune,
/// which must retire the old entry, leaving the renewed one.
#[test]
fn readme_rotation_block() {
    let block = sh_block("ccert rotate chinacat");
    let (before, prune) = block
        .split_once("ccert prune --log /var/log/mail.log")
        .expect("the block ends with prune");
    let script = format!(
        r#"{LIFECYCLE_SETUP}{before}
fp=$(ccert fingerprint --format map "$MAIL_CONFIG/chinacat.pem" | cut -d' ' -f1)
pk=$(ccert fingerprint --pubkey --format map "$MAIL_CONFIG/chinacat.pem" | cut -d' ' -f1)
printf '%s\n' "Dec  7 10:00:00 mx postfix/smtpd[4242]: chinacat[192.0.2.7]: subject_CN=chinacat, issuer=chinacat, fingerprint=$fp, pkey_fingerprint=$pk" > mail.log
ccert prune --log "$root/mail.log"{prune}
grep -vc '^#' etc/clientcerts
"#,
        before = before.replace("/etc/postfix", "$MAIL_CONFIG"),
    );
    let out = bash(&script)
        .note("the README's Rotation block")
        .any_stderr()
        .run();
    assert!(
        out.stdout.contains("rotating \"chinacat\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("rotating out: line 4"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("removed 1 entry"), "{}", out.stdout);
    assert!(
        out.stdout.ends_with("\n1\n"),
        "one entry left: {}",
        out.stdout
    );
}

/// The Expiry block as written, on a list with an expired certificate
/// and a valid one: the dry run names it and changes nothing, then it goes.
#[test]
fn readme_prune_block() {
    let block = sh_block("ccert prune --expired --dry-run");
    let expired = crate::test::fixtures().join("expired.pem");
    let script = format!(
        r#"{LIFECYCLE_SETUP}ccert add {} --name old-laptop 2> /dev/null > /dev/null
{block}grep -vc '^#' etc/clientcerts
"#,
        expired.display()
    );
    let out = bash(&script)
        .note("the README's Expiry block")
        .any_stderr()
        .run();
    assert!(
        out.stdout.contains("would remove 1 entry"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("removed 1 entry"), "{}", out.stdout);
    assert!(
        out.stderr.contains("old-laptop: expired 2021-01-01"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.ends_with("\n1\n"),
        "one entry left: {}",
        out.stdout
    );
}

/// The Revocation block as written, with `MAIL_CONFIG` naming a scratch
/// configuration (as in try-it-now, with the deny table before the permit)
/// that lists `old-laptop`, `stolen` and a certificate `ca.crl` revokes;
/// `stolen.pem` and `ca.crl` are in the working directory, as the block
/// names them. Each command exits 0 (doctor: the setup is sound), and
/// afterwards only the unrevoked client is listed and the deny table
/// holds both fingerprints of each of the three.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn readme_revocation_block() {
    if oracle::require("openssl", "readme_revocation_block").is_none() {
        return;
    }
    let block = sh_block("ccert revoke --name old-laptop --dry-run");
    let script = format!(
        r#"cfg=$(pwd)/etc
mkdir -p "$cfg" ca
export MAIL_CONFIG=$cfg
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 30 \
    -subj /CN=mail.example -keyout "$cfg/server.key" -out "$cfg/server.crt" 2>/dev/null
cat > "$cfg/main.cf" <<EOF
compatibility_level = 3.6
smtpd_tls_cert_file = $cfg/server.crt
smtpd_tls_key_file = $cfg/server.key
smtpd_tls_security_level = may
smtpd_tls_ask_ccert = yes
smtpd_tls_loglevel = 1, peercert
smtpd_relay_restrictions = permit_mynetworks, check_ccert_access cdb:$cfg/revoked_clientcerts,
    permit_tls_clientcerts, reject_unauth_destination
relay_clientcerts = cdb:$cfg/clientcerts
EOF
touch -d '-5 seconds' "$cfg/main.cf"
touch "$cfg/revoked_clientcerts"
ccert compile cdb:"$cfg/revoked_clientcerts"
ccert issue old-laptop --out . >/dev/null
ccert issue stolen --out . >/dev/null
ccert issue keeper --out . >/dev/null
(cd ca && printf '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n' > ca.cnf
 touch index.txt && echo 01 > crlnumber
 openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 30 \
     -subj /CN=Example-CA -keyout ca.key -out ca.pem 2>/dev/null
 openssl req -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj /CN=left \
     -keyout left.key -out left.csr 2>/dev/null
 openssl x509 -req -in left.csr -CA ca.pem -CAkey ca.key -days 30 -set_serial 0x2a -out left.pem 2>/dev/null
 openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -revoke left.pem 2>/dev/null
 openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl -out ../ca.crl 2>/dev/null)
ccert add old-laptop.pem stolen.pem keeper.pem ca/left.pem 2>/dev/null
{block}
echo "--- list"
ccert list --format plain
echo "--- deny"
grep -c ' REJECT client certificate revoked' "$cfg/revoked_clientcerts"
grep -c ' REJECT client certificate revoked: stolen 2026-12-07$' "$cfg/revoked_clientcerts"
"#
    );
    let out = bash(&script)
        .note("the README's Revocation block")
        .any_stderr()
        .run();
    assert!(
        out.stdout.contains("dry run: nothing changed"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("looks sound"), "{}", out.stdout);
    let list = out.stdout.split("--- list\n").nth(1).unwrap();
    let list = list.split("--- deny\n").next().unwrap();
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.ends_with(" keeper\n"), "{list}");
    let deny = out.stdout.split("--- deny\n").nth(1).unwrap();
    assert_eq!(deny, "6\n2\n", "{}", out.stdout);
}

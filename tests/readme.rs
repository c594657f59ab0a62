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
//! * blocks that cannot run here (dpkg -i, systemd units) are checked with
//!   `bash -n` and for the paths and options they name.
//!
//! `every_shell_block_is_run_or_checked` fails when a block appears that no
//! test here claims.

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
        "ccert revoke --name old-laptop --dry-run",
        "readme_revocation_block",
    ),
    ("systemctl daemon-reload", "readme_systemd_blocks"),
    ("cargo test\n", ".ci/run (the suite itself)"),
    ("ccert rotate chinacat", "readme_rotation_block"),
    ("ccert prune --expired --dry-run", "readme_prune_block"),
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
    // query printed the name; doctor (exit 0 under set -e) found the setup sound.
    assert!(
        out.stdout.lines().any(|l| l == "chinacat"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("looks sound"), "{}", out.stdout);
}

/// The fleet block against the suite's PostgreSQL cluster (with TLS, as
/// the block's `sslmode=verify-full` asks): a `postfix` role and the `mail`
/// database as an admin would have them; the host is the cluster's, and
/// `sslrootcert` names the CA that signed its certificate, the only
/// changes besides /etc/postfix and /root standing for scratch directories.
/// The server is set up as the quick start leaves it, with an existing
/// clientcerts list to import; doctor must find it sound but for the
/// shared user's write access.
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
            "CREATE ROLE postfix LOGIN PASSWORD '{}'; GRANT CREATE ON SCHEMA public TO postfix",
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
            "'relay_clientcerts = pgsql:/etc/postfix/clientcerts.pgsql.cf'",
            "\"relay_clientcerts = pgsql:$MAIL_CONFIG/clientcerts.pgsql.cf\"",
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
printf '%s\n' '{password}' > pg-postfix.pw
{block}
ccert list --format plain
"#,
        password = crate::pg::PASSWORD,
    );
    let out = bash(&script)
        .note("the README's fleet block")
        .any_stderr()
        .timeout(std::time::Duration::from_secs(120))
        .run();
    // The README uses one database user for ccert and Postfix: doctor
    // warns (least privilege) but finds no error.
    assert!(
        out.stdout
            .contains("no errors in the client-certificate relay setup"),
        "{}",
        out.stdout
    );
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
    assert_eq!(
        pg.psql("mail", "SELECT count(*) FROM ccert_clientcerts"),
        "2"
    );
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

//! `ccert db init`: the database list's schema and its pgsql_table(5) file.

use std::io::IsTerminal as _;

use anyhow::{Context as _, bail};

use crate::cli::{DbArgs, DbCommand, DbInitArgs};
use crate::fleet::pgsql::init::{self, LookupRole, NewCf};

use super::{Context, Outcome};

/// Runs `ccert db …`.
pub fn run(args: &DbArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    match &args.command {
        DbCommand::Init(a) => run_init(a),
    }
}

fn run_init(args: &DbInitArgs) -> anyhow::Result<Outcome> {
    let Some(cf) = crate::fleet::store_config(&args.list) else {
        bail!(
            "{}: name the list as Postfix does: pgsql:/etc/postfix/clientcerts.pgsql.cf",
            args.list
        );
    };
    if args.print_sql
        && let Some(user) = &args.lookup_user
    {
        say!("{}", init::lookup_role_sql(user).trim_end());
        return Ok(Outcome::Success);
    }
    let lookup = match &args.lookup_user {
        Some(user) => Some(LookupRole {
            user: user.clone(),
            password: match &args.lookup_password_file {
                Some(f) => Some(first_line(f)?),
                None => None,
            },
            cf: args
                .lookup_cf
                .clone()
                .unwrap_or_else(|| lookup_cf_beside(&cf)),
        }),
        None => None,
    };
    let fresh = !args.hosts.is_empty() || args.dbname.is_some() || args.user.is_some();
    let new = if fresh {
        Some(NewCf {
            hosts: args.hosts.clone(),
            dbname: args.dbname.clone(),
            user: args.user.clone(),
            password: password(args)?,
        })
    } else {
        if args.password_file.is_some() {
            bail!("--password-file is only used with --hosts, --dbname and --user (a new .cf)");
        }
        None
    };
    let report = init::init(&cf, new.as_ref(), args.force, lookup.as_ref())?;
    for w in &report.warnings {
        tell!(
            "ccert: warning: {}: {w}; use a URI with sslmode=verify-full (see ccert db init --help)",
            cf.display()
        );
    }
    match report.before {
        0 => say!("created the ccert tables (schema version {})", report.after),
        v if v < report.after => say!(
            "migrated the ccert tables from schema version {v} to {}",
            report.after
        ),
        v => say!("the ccert tables are up to date (schema version {v})"),
    }
    if report.wrote_cf {
        say!(
            "wrote {} (mode 0640); in main.cf:\n  relay_clientcerts = pgsql:{}",
            cf.display(),
            cf.display()
        );
    }
    if let Some(role) = &lookup {
        say!(
            "created the read-only role {} for Postfix's lookups and wrote {} (mode 0640); in \
             main.cf:\n  relay_clientcerts = pgsql:{}\nand edit with --map pgsql:{}",
            crate::cert::name::terminal_safe(&role.user),
            role.cf.display(),
            role.cf.display(),
            cf.display()
        );
    }
    if let Some(revoked) = &report.revoked_cf {
        say!(
            "wrote {} (mode 0640) for revoked certificates (`ccert revoke`); in main.cf, before \
             permit_tls_clientcerts:\n  check_ccert_access pgsql:{}",
            revoked.display(),
            revoked.display()
        );
    }
    Ok(Outcome::Success)
}

/// `clientcerts.pgsql.cf` → `clientcerts-lookup.pgsql.cf`, beside it.
fn lookup_cf_beside(cf: &std::path::Path) -> std::path::PathBuf {
    let name = cf
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let new = match name.split_once('.') {
        Some((stem, rest)) => format!("{stem}-lookup.{rest}"),
        None => format!("{name}-lookup"),
    };
    cf.with_file_name(new)
}

/// The first line of a password file (not empty).
fn first_line(file: &std::path::Path) -> anyhow::Result<String> {
    let text = crate::fsutil::read_to_string_bounded(file, crate::fsutil::limits::PASSWORD_FILE)
        .map_err(|e| {
            anyhow::Error::new(e)
                .context(format!("{}: cannot read the password file", file.display()))
        })?;
    let first = text.lines().next().unwrap_or_default().to_string();
    if first.is_empty() {
        bail!(
            "{}: the first line is empty; write the password there",
            file.display()
        );
    }
    Ok(first)
}

/// The password: --password-file, else PGPASSWORD, else a prompt on a terminal.
fn password(args: &DbInitArgs) -> anyhow::Result<Option<String>> {
    if let Some(file) = &args.password_file {
        return first_line(file).map(Some);
    }
    if let Ok(pw) = std::env::var("PGPASSWORD") {
        return Ok(Some(pw));
    }
    if std::io::stdin().is_terminal() {
        let pw = dialoguer::Password::new()
            .with_prompt("Database password (empty: none)")
            .allow_empty_password(true)
            .interact()
            .context("reading the password")?;
        return Ok((!pw.is_empty()).then_some(pw));
    }
    Ok(None)
}

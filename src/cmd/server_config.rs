//! `ccert server-config`: the main.cf and master.cf lines that let
//! workstations relay with a client certificate, adapted to the
//! configuration at hand (table type, source path, digest, an existing
//! submission service), with a note on what is already set.
//!
//! Only the services that permit certificates ask for them (`-o
//! smtpd_tls_ask_ccert=yes` on submission): a global `smtpd_tls_ask_ccert =
//! yes` would make the public port-25 service ask every sending MTA too.

use crate::cli::ServerConfigArgs;
use crate::maps::MapType;
use crate::postfix::PostfixConfig;
use crate::postfix::master_cf::{Service, brace_if_needed};
use crate::postfix::restrictions::{self, CHECK_CCERT, PERMIT_CERTS, PERMIT_SASL, first_refusing};

use super::{Context, Outcome};

/// Runs `ccert server-config`.
pub fn run(args: &ServerConfigArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let ServerConfigArgs {} = args;
    let cfg = ctx.postfix()?;
    let source = ctx.source_path()?;
    print!("{}", render(cfg, &source.display().to_string()));
    Ok(Outcome::Success)
}

/// The text `server-config` prints for `cfg`, with `source` as the clientcerts source.
pub fn render(cfg: &PostfixConfig, source: &str) -> String {
    let mut out = header(cfg);
    out.push_str("# ---- main.cf ----\n");
    main_cf_lines(cfg, &mut out, source);
    out.push_str("\n# ---- master.cf ----\n");
    submission_service(cfg, &mut out, source);
    out.push_str(&deny_advice(cfg, source));
    out.push_str(&pubkey_advice(cfg));
    out.push_str(
        "\n# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor\n",
    );
    out
}

/// What the text is for, and what to do with it.
fn header(cfg: &PostfixConfig) -> String {
    format!(
        "# Client-certificate relaying for the Postfix configuration in {}{}.\n\
         # For {}.\n\
         # Review, put the lines into main.cf and master.cf, then run: postfix reload\n\n",
        cfg.config_dir.display(),
        if cfg.present {
            ""
        } else {
            " (no main.cf there: Postfix defaults assumed)"
        },
        cfg.describe()
    )
}

// ---- main.cf ----

/// The main.cf settings: the table, the digest, logging the fingerprints
/// clients present (for `ccert log`), and a server certificate when there
/// is none. Asking for a certificate is the submission service's (below).
fn main_cf_lines(cfg: &PostfixConfig, out: &mut String, source: &str) {
    relay_clientcerts_line(cfg, out, source);
    let (digest, note) = suggested_digest(cfg);
    main_line(cfg, out, "smtpd_tls_fingerprint_digest", &digest, note);
    if let Some(line) = cfg.main_cf_line("smtpd_tls_ask_ccert")
        && cfg
            .get("smtpd_tls_ask_ccert")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
    {
        out.push_str(&format!(
            "# main.cf line {line} has smtpd_tls_ask_ccert = yes: every smtpd service asks, also the public\n\
             # port-25 one (every sending MTA); the submission service below asks on its own, so remove it\n"
        ));
    }
    let level = cfg.get("smtpd_tls_loglevel").unwrap_or_default();
    let maps = if cfg.knows("smtpd_tls_loglevel_maps") {
        cfg.get("smtpd_tls_loglevel_maps")
    } else {
        None
    };
    if let Some(maps) = maps.filter(|_| !crate::doctor::shows_fingerprints(&level)) {
        // 3.12: raise the level only for the workstations, not for every
        // MTA that connects to port 25.
        let cidr = crate::doctor::loglevel_cidr(cfg);
        if maps.trim().is_empty() {
            main_line(
                cfg,
                out,
                "smtpd_tls_loglevel_maps",
                &format!("cidr:{cidr}"),
                Some(format!(
                    "log the fingerprints the workstations present, which `ccert log` lists, and only theirs\n\
                     # (Postfix 3.12: the level per client address); {cidr} lists their networks, e.g.\n\
                     #   {}\n\
                     # (or for every client: smtpd_tls_loglevel = {})",
                    crate::doctor::LOGLEVEL_CIDR_EXAMPLE,
                    crate::doctor::LOGS_FINGERPRINTS
                )),
            );
        } else {
            main_line(cfg, out, "smtpd_tls_loglevel_maps", maps.trim(), None);
        }
    } else if !crate::doctor::shows_fingerprints(&level) {
        main_line(
            cfg,
            out,
            "smtpd_tls_loglevel",
            crate::doctor::LOGS_FINGERPRINTS,
            Some("log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)".into()),
        );
    }
    if !has_server_certificate(cfg) {
        let host = cfg.get("myhostname").unwrap_or_default();
        let file = format!("{}/{host}.pem", cfg.config_dir.display());
        main_line(
            cfg,
            out,
            "smtpd_tls_chain_files",
            &file,
            Some(format!(
                "smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file\n\
                 # (mode 0600): from your CA (certbot: cat privkey.pem fullchain.pem > {file}), or self-signed for a test:\n\
                 #   (umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 365 \
                 -subj /CN={host} -keyout /dev/stdout -out /dev/stdout 2>/dev/null > {file})"
            )),
        );
    }
}

/// relay_clientcerts as it is, or naming `source` with the table type to use.
fn relay_clientcerts_line(cfg: &PostfixConfig, out: &mut String, source: &str) {
    let current_tables = cfg.get("relay_clientcerts").unwrap_or_default();
    if current_tables.trim().is_empty() {
        let (kind, why) = match built_type(cfg, source) {
            Some(kind) => (kind, "the table built beside the source"),
            None => (table_type(cfg), "default_database_type"),
        };
        main_line(
            cfg,
            out,
            "relay_clientcerts",
            &format!("{kind}:{source}"),
            Some(format!(
                "the table permit_tls_clientcerts consults ({kind}: {why}); `ccert add` builds it, or `ccert compile {kind}:{source}`"
            )),
        );
    } else {
        let raw = cfg.raw("relay_clientcerts").unwrap_or_default();
        main_line(cfg, out, "relay_clientcerts", raw.trim(), None);
    }
}

/// The type of a table already built from `source` that this Postfix
/// opens (the quick start's `ccert compile lmdb:…`): default_database_type's
/// when that one exists, else lmdb, cdb, hash in that order. sqlite tables
/// are named by their `.sqlite.cf` file and are left to the admin.
fn built_type(cfg: &PostfixConfig, source: &str) -> Option<String> {
    let source = std::path::Path::new(source);
    let default = cfg.get("default_database_type").unwrap_or_default();
    let mut types = vec![MapType::Lmdb, MapType::Cdb, MapType::Hash];
    types.sort_by_key(|t| t.name() != default.trim());
    types
        .into_iter()
        .filter(|t| cfg.supports_type(t.name()) && t.table_path(source).exists())
        .map(|t| t.name().to_string())
        .next()
}

/// The table type to suggest: default_database_type, unless this Postfix
/// cannot open it, or is moving off Berkeley DB (redirect on, or hash
/// deprecated): then lmdb (else cdb), which it opens directly.
fn table_type(cfg: &PostfixConfig) -> String {
    let kind = cfg
        .get("default_database_type")
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "hash".into());
    let off_bdb = crate::postfix::TableType::from_name(&kind).is_berkeley_db()
        && (cfg.bdb_deprecated() || crate::postfix::redirect::migration_level(cfg).is_some());
    if cfg.supports_type(&kind) && !off_bdb {
        return kind;
    }
    ["lmdb", "cdb"]
        .into_iter()
        .find(|t| cfg.supports_type(t))
        .unwrap_or("lmdb")
        .to_string()
}

/// The digest to set: the one set already, else sha256, with a note on
/// what Postfix's default here means for existing entries.
fn suggested_digest(cfg: &PostfixConfig) -> (String, Option<String>) {
    let effective = cfg.get("smtpd_tls_fingerprint_digest").unwrap_or_default();
    let effective = effective.trim();
    if cfg.is_set("smtpd_tls_fingerprint_digest") {
        return (effective.to_string(), None);
    }
    let note = if effective == "sha256" {
        "sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes".to_string()
    } else {
        format!(
            "Postfix's default here is {effective} (compatibility_level below 3.6); entries made with another digest never match: ccert rehash --digest sha256 converts them"
        )
    };
    ("sha256".to_string(), Some(note))
}

/// Whether smtpd has a server certificate configured (in any of its forms).
fn has_server_certificate(cfg: &PostfixConfig) -> bool {
    [
        "smtpd_tls_chain_files",
        "smtpd_tls_cert_file",
        "smtpd_tls_eccert_file",
    ]
    .iter()
    .any(|p| !cfg.get(p).unwrap_or_default().trim().is_empty())
}

/// One main.cf line with a note on its current state.
fn main_line(cfg: &PostfixConfig, out: &mut String, name: &str, value: &str, note: Option<String>) {
    if let Some(note) = note {
        out.push_str(&format!("# {note}\n"));
    }
    let current = cfg.get(name).unwrap_or_default();
    let raw = cfg.raw(name).unwrap_or_default();
    match cfg.main_cf_line(name) {
        Some(line) if current.trim() == value || raw.trim() == value => {
            out.push_str(&format!(
                "{name} = {value}\t# already set (main.cf line {line})\n"
            ));
        }
        Some(line) => {
            out.push_str(&format!(
                "# main.cf line {line} has: {name} = {raw}\n{name} = {value}\n"
            ));
        }
        None => out.push_str(&format!("{name} = {value}\n")),
    }
}

// ---- master.cf ----

/// The submission service: the existing one made to ask for and accept
/// client certificates (keeping its other overrides and arguments), or a
/// new one.
fn submission_service(cfg: &PostfixConfig, out: &mut String, source: &str) {
    let existing = cfg.service("submission/inet");
    out.push_str(&service_line(existing));
    let wanted = wanted_overrides(cfg, existing, source);
    for (n, v) in merged_overrides(existing, wanted) {
        out.push_str(&format!("  -o {}\n", brace_if_needed(&format!("{n}={v}"))));
    }
    if let Some(s) = existing {
        let other = other_arguments(s);
        if !other.is_empty() {
            out.push_str(&format!(
                "# (keep the other arguments of line {}: {})\n",
                s.line,
                other.join(" ")
            ));
        }
    }
}

/// The service's first line (after a note on where it is, when it exists).
fn service_line(existing: Option<&Service>) -> String {
    match existing {
        Some(s) => format!(
            "# master.cf line {} already defines submission/inet; make it read:\n\
             {} {} {} {} {} {} {} {}\n",
            s.line,
            s.name,
            s.kind,
            s.private,
            s.unprivileged,
            s.chroot,
            s.wakeup,
            s.process_limit,
            s.command
        ),
        None => "submission inet n       -       y       -       -       smtpd\n".to_string(),
    }
}

/// The `-o` overrides certificate relaying needs on the service.
fn wanted_overrides(
    cfg: &PostfixConfig,
    existing: Option<&Service>,
    source: &str,
) -> Vec<(String, String)> {
    let mut wanted: Vec<(String, String)> = vec![
        ("smtpd_tls_security_level".into(), "encrypt".into()),
        ("smtpd_tls_ask_ccert".into(), "yes".into()),
    ];
    // Keep password (SASL) relaying where the existing service offers it.
    let sasl = existing
        .and_then(|s| cfg.effective_for_service(s, "smtpd_sasl_auth_enable"))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"));
    // The deny table `ccert revoke` writes, before the permit: a revoked
    // certificate stays refused where a stale copy of the list names it.
    let deny = deny_table(cfg, existing, source);
    let relay = if sasl {
        format!("{PERMIT_SASL},{CHECK_CCERT},{deny},{PERMIT_CERTS},reject")
    } else {
        format!("{CHECK_CCERT},{deny},{PERMIT_CERTS},reject")
    };
    wanted.push(("smtpd_relay_restrictions".into(), relay));
    if let Some(recipient) = recipient_restrictions_fix(cfg, existing) {
        wanted.push(("smtpd_recipient_restrictions".into(), recipient));
    }
    wanted
}

/// The deny table for the service: the one its lists already consult
/// before the permit, else `$config_directory/revoked_clientcerts`
/// ([`crate::revocation::proposed`]).
fn deny_table(cfg: &PostfixConfig, existing: Option<&Service>, source: &str) -> String {
    let relay = cfg.get("relay_clientcerts").unwrap_or_default();
    let allow: Vec<std::path::PathBuf> = restrictions::items(&relay)
        .iter()
        .filter_map(|i| crate::postfix::TableRef::parse(i).source())
        .collect();
    // The type the allow list has or gets (relay_clientcerts_line).
    let kind = match restrictions::items(&relay).first() {
        Some(first) => crate::postfix::TableRef::parse(first)
            .table_type
            .map(|t| t.name().to_string()),
        None => Some(built_type(cfg, source).unwrap_or_else(|| table_type(cfg))),
    };
    existing
        .map(|s| {
            crate::revocation::walk(
                &|n: &str| cfg.effective_for_service(s, n).unwrap_or_default(),
                &allow,
            )
        })
        .and_then(|w| w.deny_table().map(str::to_string))
        .unwrap_or_else(|| crate::revocation::proposed_as(cfg, kind.as_deref()))
}

/// A recipient list that refuses relaying would refuse certificate
/// clients too: the list with permit_tls_clientcerts before its first
/// refusal, when it needs one.
fn recipient_restrictions_fix(cfg: &PostfixConfig, existing: Option<&Service>) -> Option<String> {
    let recipient = match existing {
        Some(s) => cfg.effective_for_service(s, "smtpd_recipient_restrictions"),
        None => cfg.get("smtpd_recipient_restrictions"),
    }
    .unwrap_or_default();
    let items = restrictions::items(&recipient);
    let certs_at = items.iter().position(|i| i == PERMIT_CERTS);
    let refusing = first_refusing(&items)?;
    certs_at
        .is_none_or(|c| c > refusing)
        .then(|| restrictions::with_certs_permitted(&items).join(","))
}

/// The service's overrides in their order, each once with its last value
/// (or the wanted one), then the wanted ones it lacks; a new service gets
/// its own syslog_name first.
fn merged_overrides(
    existing: Option<&Service>,
    wanted: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    match existing {
        Some(s) => {
            for o in &s.overrides {
                if lines.iter().any(|(n, _)| *n == o.name) {
                    continue;
                }
                let last = s.override_for(&o.name).unwrap_or(o);
                let value = wanted
                    .iter()
                    .find(|(n, _)| *n == o.name)
                    .map_or(last.value.clone(), |(_, v)| v.clone());
                lines.push((o.name.clone(), value));
            }
        }
        None => lines.push(("syslog_name".into(), "postfix/submission".into())),
    }
    for (n, v) in wanted {
        if !lines.iter().any(|(name, _)| *name == n) {
            lines.push((n, v));
        }
    }
    lines
}

/// The service's command arguments other than `-o name=value` pairs.
fn other_arguments(service: &Service) -> Vec<&str> {
    let mut args = service.args.iter();
    let mut other = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "-o" {
            args.next();
        } else {
            other.push(arg.as_str());
        }
    }
    other
}

// ---- notes ----

/// How the deny table comes to exist: smtpd answers 451 to every client
/// when a check_ccert_access table cannot be opened.
fn deny_advice(cfg: &PostfixConfig, source: &str) -> String {
    let deny = deny_table(cfg, cfg.service("submission/inet"), source);
    let table = crate::postfix::TableRef::parse(&deny);
    let mut out = String::from(
        "\n# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`\n\
         # writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the\n\
         # list still names it.",
    );
    match table.source() {
        // An existing table (the service already consults it) needs nothing.
        Some(file) if !file.exists() => out.push_str(&format!(
            " smtpd answers 451 when it cannot open it, so create it first:\n\
             #   touch {} && ccert compile {table}\n",
            file.display()
        )),
        _ => out.push('\n'),
    }
    out
}

/// When to prefer public-key entries (`--pubkey`), for this Postfix.
fn pubkey_advice(cfg: &PostfixConfig) -> String {
    let mut out = String::from(
        "\n# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the\n\
         # client keeps its key: a renewed certificate with the same key needs no new entry.\n\
         # A client that sends a raw public key (RFC 7250) has no certificate fingerprint at\n\
         # all: only public-key entries match it.\n",
    );
    let release = cfg.release();
    if cfg.rpk_enabled() {
        out.push_str(
            "# smtpd_tls_enable_rpk = yes here: ccert add and issue --add write public-key entries by default.\n",
        );
    } else if release.has_rpk() {
        out.push_str(&format!(
            "# Postfix {release} looks up the public-key fingerprint first and can accept raw public keys\n\
             # (smtpd_tls_enable_rpk = yes, OpenSSL 3.2+); with that on, use only --pubkey entries.\n"
        ));
    }
    out
}

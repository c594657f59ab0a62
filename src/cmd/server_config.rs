//! `ccert server-config`: the main.cf and master.cf lines that let
//! workstations relay with a client certificate, adapted to the
//! configuration at hand (table type, source path, digest, an existing
//! submission service), with a note on what is already set.

use crate::cli::ServerConfigArgs;
use crate::postfix::restrictions::{self, PERMIT_CERTS, PERMIT_SASL, first_refusing};
use crate::postfix::{PostfixConfig, master_cf::brace_if_needed};

use super::{Context, Outcome};

/// Runs `ccert server-config`.
pub fn run(args: &ServerConfigArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let ServerConfigArgs {} = args;
    let cfg = ctx.postfix()?;
    let source = ctx.source_path()?;
    print!("{}", render(cfg, &source.display().to_string()));
    Ok(Outcome::Success)
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

/// The table type to suggest: default_database_type, unless this Postfix
/// cannot open it, or is moving off Berkeley DB (redirect on, or hash
/// deprecated): then lmdb (else cdb), which it opens directly.
fn table_type(cfg: &PostfixConfig) -> String {
    let kind = cfg
        .get("default_database_type")
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "hash".into());
    let off_bdb = matches!(kind.as_str(), "hash" | "btree")
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

/// The text `server-config` prints for `cfg`, with `source` as the clientcerts source.
pub fn render(cfg: &PostfixConfig, source: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Client-certificate relaying for the Postfix configuration in {}{}.\n\
         # Review, put the lines into main.cf and master.cf, then run: postfix reload\n\n",
        cfg.config_dir.display(),
        if cfg.present {
            ""
        } else {
            " (no main.cf there: Postfix defaults assumed)"
        }
    ));

    out.push_str("# ---- main.cf ----\n");
    let current_tables = cfg.get("relay_clientcerts").unwrap_or_default();
    if current_tables.trim().is_empty() {
        let kind = table_type(cfg);
        main_line(
            cfg,
            &mut out,
            "relay_clientcerts",
            &format!("{kind}:{source}"),
            Some(format!(
                "the table permit_tls_clientcerts consults ({kind} = default_database_type); build it with `ccert add` or `ccert compile {kind}:{source}`"
            )),
        );
    } else {
        let raw = cfg.raw("relay_clientcerts").unwrap_or_default();
        main_line(cfg, &mut out, "relay_clientcerts", raw.trim(), None);
    }

    let digest_note;
    let digest = if cfg.is_set("smtpd_tls_fingerprint_digest") {
        digest_note = None;
        cfg.get("smtpd_tls_fingerprint_digest")
            .unwrap_or_default()
            .trim()
            .to_string()
    } else {
        let effective = cfg.get("smtpd_tls_fingerprint_digest").unwrap_or_default();
        digest_note = Some(if effective.trim() == "sha256" {
            "sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes".to_string()
        } else {
            format!(
                "Postfix's default here is {} (compatibility_level below 3.6); entries made with another digest never match: ccert rehash --digest sha256 converts them",
                effective.trim()
            )
        });
        "sha256".to_string()
    };
    main_line(
        cfg,
        &mut out,
        "smtpd_tls_fingerprint_digest",
        &digest,
        digest_note,
    );
    main_line(
        cfg,
        &mut out,
        "smtpd_tls_ask_ccert",
        "yes",
        Some("ask clients for a certificate (the submission service below asks anyway)".into()),
    );
    let have_cert = [
        "smtpd_tls_chain_files",
        "smtpd_tls_cert_file",
        "smtpd_tls_eccert_file",
    ]
    .iter()
    .any(|p| !cfg.get(p).unwrap_or_default().trim().is_empty());
    if !have_cert {
        let host = cfg.get("myhostname").unwrap_or_default();
        main_line(
            cfg,
            &mut out,
            "smtpd_tls_chain_files",
            &format!("{}/{host}.pem", cfg.config_dir.display()),
            Some("smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file".into()),
        );
    }

    out.push_str("\n# ---- master.cf ----\n");
    let existing = cfg.service("submission/inet");
    let fields = match existing {
        Some(s) => {
            out.push_str(&format!(
                "# master.cf line {} already defines submission/inet; make it read:\n",
                s.line
            ));
            format!(
                "{} {} {} {} {} {} {} {}",
                s.name,
                s.kind,
                s.private,
                s.unprivileged,
                s.chroot,
                s.wakeup,
                s.process_limit,
                s.command
            )
        }
        None => "submission inet n       -       y       -       -       smtpd".to_string(),
    };
    out.push_str(&fields);
    out.push('\n');

    let mut wanted: Vec<(String, String)> = vec![
        ("smtpd_tls_security_level".into(), "encrypt".into()),
        ("smtpd_tls_ask_ccert".into(), "yes".into()),
    ];
    // Keep password (SASL) relaying where the existing service offers it.
    let sasl = existing
        .and_then(|s| cfg.effective_for_service(s, "smtpd_sasl_auth_enable"))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"));
    let relay = if sasl {
        format!("{PERMIT_SASL},{PERMIT_CERTS},reject")
    } else {
        format!("{PERMIT_CERTS},reject")
    };
    wanted.push(("smtpd_relay_restrictions".into(), relay));
    // A recipient list that refuses relaying would refuse certificate clients too.
    let recipient = match existing {
        Some(s) => cfg.effective_for_service(s, "smtpd_recipient_restrictions"),
        None => cfg.get("smtpd_recipient_restrictions"),
    }
    .unwrap_or_default();
    let items = restrictions::items(&recipient);
    let certs_at = items.iter().position(|i| i == PERMIT_CERTS);
    if let Some(r) = first_refusing(&items)
        && certs_at.is_none_or(|c| c > r)
    {
        wanted.push((
            "smtpd_recipient_restrictions".into(),
            restrictions::with_certs_permitted(&items).join(","),
        ));
    }

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
    for (n, v) in lines {
        out.push_str(&format!("  -o {}\n", brace_if_needed(&format!("{n}={v}"))));
    }
    if let Some(s) = existing {
        let other: Vec<&String> = {
            let mut skip = false;
            s.args
                .iter()
                .filter(|a| {
                    if skip {
                        skip = false;
                        return false;
                    }
                    if a.as_str() == "-o" {
                        skip = true;
                        return false;
                    }
                    true
                })
                .collect()
        };
        if !other.is_empty() {
            out.push_str(&format!(
                "# (keep the other arguments of line {}: {})\n",
                s.line,
                other
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
    }
    out.push_str(&pubkey_advice(cfg));
    out.push_str(
        "\n# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor\n",
    );
    out
}

//! `ccert remove`.

use anyhow::{Context as _, bail};

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::cli::RemoveArgs;
use crate::fleet::Selector;
use crate::source::Record;
use crate::source::annotation::Annotation;
use crate::source::edit;
use crate::source::locked::LockedSource;

use super::{Context, Outcome, rebuild_then_unlock};

/// Which entries to remove.
enum Matcher {
    /// Entries whose value is this name.
    Name(Vec<u8>),
    /// Entries whose key is one of these fingerprints.
    Fingerprints(Vec<Fingerprint>),
}

impl Matcher {
    fn matches(&self, record: &Record) -> bool {
        match self {
            Self::Name(name) => record.value == *name,
            Self::Fingerprints(fps) => std::str::from_utf8(&record.key)
                .ok()
                .and_then(Fingerprint::parse)
                .is_some_and(|fp| fps.contains(&fp)),
        }
    }
}

/// Runs `ccert remove`.
pub fn run(args: &RemoveArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let (matcher, wanted) = matcher(args, ctx)?;
    if let Some(map) = ctx.store_map()? {
        let selector = match matcher {
            Matcher::Name(name) => Selector::Name(String::from_utf8_lossy(&name).into_owned()),
            Matcher::Fingerprints(fps) => Selector::Fingerprints(fps),
        };
        return super::store_edge::remove(&map, &selector, &wanted, args.yes);
    }
    let path = ctx.source_path()?;

    let mut locked = LockedSource::open(&path, false)?;
    // One streamed pass finds the matching entries; the file is then copied
    // without them, so memory stays small whatever the source's size.
    let mut select = |record: &Record, _: Option<&Annotation>| matcher.matches(record);
    let plan = edit::plan(&locked, &[], false, Some(&mut select))?;
    let matching = &plan.removed;
    if matching.is_empty() {
        bail!(
            "{}: no entry matches {wanted}; nothing removed (see `ccert list`)",
            path.display()
        );
    }
    tell!(
        "ccert: {} entr{} in {} match{} {wanted}:",
        matching.len(),
        if matching.len() == 1 { "y" } else { "ies" },
        path.display(),
        if matching.len() == 1 { "es" } else { "" },
    );
    for r in matching {
        tell!(
            "  line {}: {} {}",
            r.line,
            crate::text::terminal_safe_bytes(&r.key),
            crate::text::terminal_safe_bytes(&r.value)
        );
    }
    if !args.yes {
        let Some(answer) = super::ask_removal(matching.len()) else {
            bail!(
                "{}: refusing to remove without confirmation: standard input is not a terminal; \
                 pass --yes to remove these entries",
                path.display()
            );
        };
        let confirmed = answer.context("asking for confirmation")?;
        if !confirmed {
            tell!("ccert: nothing removed");
            return Ok(Outcome::Failure);
        }
    }

    // Each entry goes with the ccert comment right above it, when that
    // comment describes it.
    plan.commit(&mut locked)?;
    // Drop the stored copies of certificates no remaining entry refers to.
    super::prune_store_copies(&locked, &path)?;
    say!(
        "removed {} entr{} from {}",
        matching.len(),
        if matching.len() == 1 { "y" } else { "ies" },
        path.display()
    );
    rebuild_then_unlock(locked, !args.no_compile, &path, ctx)?;
    Ok(Outcome::Success)
}

/// Builds the matcher (reading certificates and parsing the fingerprint
/// before the source is opened) and a description for messages.
fn matcher(args: &RemoveArgs, ctx: &Context) -> anyhow::Result<(Matcher, String)> {
    if let Some(name) = &args.name {
        return Ok((
            Matcher::Name(name.as_bytes().to_vec()),
            format!("the name {name:?}"),
        ));
    }
    if let Some(text) = &args.fingerprint {
        let Some(fp) = Fingerprint::parse(text) else {
            bail!(
                "--fingerprint {text:?} is not a fingerprint: give the hex digest of an md5, sha1, \
                 sha224, sha256, sha384 or sha512 fingerprint (any case, colons optional)"
            );
        };
        return Ok((Matcher::Fingerprints(vec![fp.clone()]), format!("{fp}")));
    }
    let digests: Vec<DigestAlgorithm> = match args.digest {
        Some(d) => vec![d],
        None => DigestAlgorithm::ALL.to_vec(),
    };
    let mut fps = Vec::new();
    let mut shown = Vec::new();
    for cert_path in &args.certs {
        // The error names the file and says what is wrong.
        let certs = crate::cert::read_certificates(cert_path, &ctx.passwords)?;
        if certs.is_empty() {
            bail!(
                "{}: no certificate found; give a PEM or DER certificate file",
                cert_path.display()
            );
        }
        for cert in &certs {
            for &digest in &digests {
                for pubkey in [false, true] {
                    fps.push(cert.fingerprint(digest, pubkey));
                }
            }
        }
        shown.push(cert_path.display().to_string());
    }
    let what = match args.digest {
        Some(d) => format!("the {} fingerprints of {}", d, shown.join(", ")),
        None => format!("the fingerprints of {}", shown.join(", ")),
    };
    Ok((Matcher::Fingerprints(fps), what))
}

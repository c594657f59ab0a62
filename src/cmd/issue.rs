//! `ccert issue`: a self-signed client certificate and key for a workstation.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::cert::parse_certificates;
use crate::cli::{AddArgs, IssueArgs};
use crate::fsutil::{AtomicFile, Permissions};
use crate::selfsigned::issue;

use super::{Context, Outcome};

/// Runs `ccert issue` up to the new files; with `--add` the dispatcher then
/// runs `ccert add` with [`add_args`].
pub fn run(args: &IssueArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let cert_path = cert_path(args);
    let key_path = args.out.join(format!("{}.key", args.name));
    if args.renew {
        return renew(args, ctx, &cert_path, &key_path);
    }
    for path in [&cert_path, &key_path] {
        if path.exists() || path.is_symlink() {
            bail!(
                "{}: already exists; ccert issue never overwrites (choose another --out or name)",
                path.display()
            );
        }
    }
    if !args.out.is_dir() {
        bail!(
            "{}: no such directory; create it or choose another --out",
            args.out.display()
        );
    }
    // Temp files of a killed earlier run would otherwise stay forever.
    crate::fsutil::remove_stale_temps(&key_path);
    crate::fsutil::remove_stale_temps(&cert_path);
    let issued = issue(&args.name, args.key_type, args.days)?;

    // The key first, 0600 from the start (never briefly readable). Each file
    // appears complete or not at all, so a failed or killed run never leaves
    // an empty file that makes the retry say "already exists".
    write_new(&key_path, issued.key_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&cert_path, issued.cert_pem.as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&key_path);
        return Err(e);
    }
    // Nothing half-done stays behind when a later step fails: the retry
    // starts clean.
    finish(args, ctx, &cert_path, &key_path, &issued.cert_pem).map_err(|e| undo(args, e))
}

/// `issue --renew`: a new certificate for the key `issue` wrote, replacing
/// the old certificate atomically; the key is only read.
fn renew(
    args: &IssueArgs,
    ctx: &Context,
    cert_path: &Path,
    key_path: &Path,
) -> anyhow::Result<Outcome> {
    let key_pem = crate::fsutil::read_to_string_bounded(key_path, crate::fsutil::limits::KEY_FILE)
        .map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "{}: cannot read the key to renew with (--renew needs the key `ccert issue {}` \
                 wrote, or issue a new one without --renew)",
                key_path.display(),
                args.name
            ))
        })?;
    let cert_pem = crate::selfsigned::renew(&args.name, &key_pem, args.days)
        .with_context(|| format!("{}", key_path.display()))?;
    crate::fsutil::remove_stale_temps(cert_path);
    crate::fsutil::write_atomic(
        cert_path,
        cert_pem.as_bytes(),
        &Permissions {
            mode: 0o644,
            owner: None,
        },
    )
    .map_err(|e| anyhow::Error::new(e).context(format!("{}: cannot write", cert_path.display())))?;
    let digest = ctx.default_digest()?;
    let cert = parse_certificates(cert_pem.as_bytes(), cert_path, &crate::cert::NoPassword)?
        .into_iter()
        .next()
        .context("the renewed certificate could not be read back")?;
    say!(
        "certificate: {} (renewed{})",
        cert_path.display(),
        cert.not_after
            .map(|t| format!(", valid through {}", t.date()))
            .unwrap_or_default()
    );
    say!("private key: {} (unchanged)", key_path.display());
    say!(
        "{digest} public-key fingerprint (unchanged): {}",
        cert.fingerprint(digest, true)
    );
    say!(
        "{digest} certificate fingerprint (new): {}",
        cert.fingerprint(digest, false)
    );
    say!(
        "an entry by public-key fingerprint matches the renewed certificate as it is; \
         an entry by certificate fingerprint needs: ccert rotate {} {}",
        super::shell_word(&args.name),
        super::shell_word(&cert_path.display().to_string())
    );
    Ok(Outcome::Success)
}

/// Prints the new certificate's details.
fn finish(
    args: &IssueArgs,
    ctx: &Context,
    cert_path: &Path,
    key_path: &Path,
    cert_pem: &str,
) -> anyhow::Result<Outcome> {
    let digest = ctx.default_digest()?;
    let cert = parse_certificates(cert_pem.as_bytes(), cert_path, &crate::cert::NoPassword)?
        .into_iter()
        .next()
        .context("the generated certificate could not be read back")?;
    let fp = cert.fingerprint(digest, false);
    say!("certificate: {}", cert_path.display());
    say!("private key: {} (mode 0600)", key_path.display());
    say!("{digest} fingerprint: {fp}");
    if !args.add {
        say!(
            "add it on the server with: {}",
            super::add_command(cert_path, Some(&args.name))
        );
    }
    Ok(Outcome::Success)
}

/// The `ccert add` that `issue --add` runs after [`run`]: the new
/// certificate, named as issued.
pub fn add_args(args: &IssueArgs) -> AddArgs {
    AddArgs {
        certs: vec![cert_path(args)],
        fingerprint: None,
        name: Some(args.name.clone()),
        digest: None,
        pubkey: false,
        replace: false,
        strict: false,
        no_compile: false,
    }
}

/// Removes the certificate and key [`run`] created, after a later step
/// (`--add`) failed, and says so in the error.
pub fn undo(args: &IssueArgs, err: anyhow::Error) -> anyhow::Error {
    let (cert, key) = (cert_path(args), args.out.join(format!("{}.key", args.name)));
    for path in [&cert, &key] {
        let _ = std::fs::remove_file(path);
    }
    err.context(format!(
        "{} and {} were removed again",
        cert.display(),
        key.display()
    ))
}

fn cert_path(args: &IssueArgs) -> PathBuf {
    args.out.join(format!("{}.pem", args.name))
}

/// Creates `path` with `bytes` and `mode`, never replacing an existing file.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| {
        anyhow::Error::new(e).context(format!("{}: cannot create", path.display()))
    };
    let mut temp = AtomicFile::new(path).map_err(fail)?;
    temp.file().write_all(bytes).map_err(fail)?;
    temp.commit_new(&Permissions { mode, owner: None })
        .map_err(fail)
}

//! `ccert issue`: a self-signed client certificate and key for a workstation.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, bail};

use crate::cert::parse_certificates;
use crate::cli::{AddArgs, IssueArgs};
use crate::fsutil::{AtomicFile, Permissions};
use crate::selfsigned::{KeyAlgorithm, issue};

use super::{Context, Outcome};

/// Runs `ccert issue`.
pub fn run(args: &IssueArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let cert_path = args.out.join(format!("{}.pem", args.name));
    let key_path = args.out.join(format!("{}.key", args.name));
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
    let issued = issue(&args.name, KeyAlgorithm::from(args.key_type), args.days)?;

    // The key first, 0600 from the start (never briefly readable). Each file
    // appears complete or not at all, so a failed or killed run never leaves
    // an empty file that makes the retry say "already exists".
    write_new(&key_path, issued.key_pem.as_bytes(), 0o600)?;
    let created = [key_path.clone(), cert_path.clone()];
    let undo = || {
        for path in &created {
            let _ = std::fs::remove_file(path);
        }
    };
    if let Err(e) = write_new(&cert_path, issued.cert_pem.as_bytes(), 0o644) {
        undo();
        return Err(e);
    }
    match finish(args, ctx, &cert_path, &key_path, &issued.cert_pem) {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            // Nothing half-done stays behind: the retry starts clean.
            undo();
            Err(e.context(format!(
                "{} and {} were removed again",
                cert_path.display(),
                key_path.display()
            )))
        }
    }
}

/// Prints the new certificate's details and adds it when asked.
fn finish(
    args: &IssueArgs,
    ctx: &Context,
    cert_path: &Path,
    key_path: &Path,
    cert_pem: &str,
) -> anyhow::Result<Outcome> {
    let digest = ctx.default_digest()?;
    let cert = parse_certificates(cert_pem.as_bytes(), cert_path)?
        .into_iter()
        .next()
        .context("the generated certificate could not be read back")?;
    let fp = cert.fingerprint(digest, false);
    say!("certificate: {}", cert_path.display());
    say!("private key: {} (mode 0600)", key_path.display());
    say!("{digest} fingerprint: {fp}");
    if args.add {
        let add = AddArgs {
            certs: vec![cert_path.to_path_buf()],
            name: Some(args.name.clone()),
            digest: None,
            pubkey: false,
            replace: false,
            no_compile: false,
        };
        return super::add::run(&add, ctx);
    } else {
        say!(
            "add it on the server with: ccert add {} --name {}",
            cert_path.display(),
            args.name
        );
    }
    Ok(Outcome::Success)
}

/// Creates `path` with `bytes` and `mode`, never replacing an existing file.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| {
        anyhow::anyhow!(
            "{}: cannot create: {}",
            path.display(),
            crate::fsutil::describe(&e)
        )
    };
    let mut temp = AtomicFile::new(path).map_err(fail)?;
    temp.file().write_all(bytes).map_err(fail)?;
    temp.commit_new(&Permissions { mode, owner: None })
        .map_err(fail)
}

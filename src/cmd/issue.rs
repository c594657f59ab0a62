//! `ccert issue`: a self-signed client certificate and key for a workstation.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::cert::parse_certificates;
use crate::cli::{AddArgs, IssueArgs};
use crate::selfsigned::{KeyAlgorithm, issue};

use super::{Context, Outcome};

/// Runs `ccert issue` up to the new files; with `--add` the dispatcher then
/// runs `ccert add` with [`add_args`].
pub fn run(args: &IssueArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let cert_path = cert_path(args);
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
    let issued = issue(&args.name, KeyAlgorithm::from(args.key_type), args.days)?;

    // The key first, 0600 from the start (never briefly readable), created exclusively.
    write_new(&key_path, issued.key_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&cert_path, issued.cert_pem.as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&key_path);
        return Err(e);
    }

    let digest = ctx.default_digest()?;
    let cert = parse_certificates(issued.cert_pem.as_bytes(), &cert_path)?
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
            super::add_command(&cert_path, Some(&args.name))
        );
    }
    Ok(Outcome::Success)
}

/// The `ccert add` that `issue --add` runs after [`run`]: the new
/// certificate, named as issued.
pub fn add_args(args: &IssueArgs) -> AddArgs {
    AddArgs {
        certs: vec![cert_path(args)],
        name: Some(args.name.clone()),
        digest: None,
        pubkey: false,
        replace: false,
        strict: false,
        no_compile: false,
    }
}

fn cert_path(args: &IssueArgs) -> PathBuf {
    args.out.join(format!("{}.pem", args.name))
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("{}: cannot create", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

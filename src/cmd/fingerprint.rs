//! `ccert fingerprint`.

use crate::cli::FingerprintArgs;

use super::{Context, Outcome};

/// Runs `ccert fingerprint`.
pub fn run(args: &FingerprintArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}

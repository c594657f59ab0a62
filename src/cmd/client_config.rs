//! `ccert client-config`.

use crate::cli::ClientConfigArgs;

use super::{Context, Outcome};

/// Runs `ccert client-config`.
pub fn run(args: &ClientConfigArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}

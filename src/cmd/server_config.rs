//! `ccert server-config`.

use crate::cli::ServerConfigArgs;

use super::{Context, Outcome};

/// Runs `ccert server-config`.
pub fn run(args: &ServerConfigArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}

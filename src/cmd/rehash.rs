//! `ccert rehash`.

use crate::cli::RehashArgs;

use super::{Context, Outcome};

/// Runs `ccert rehash`.
pub fn run(args: &RehashArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}

//! `ccert issue`.

use crate::cli::IssueArgs;

use super::{Context, Outcome};

/// Runs `ccert issue`.
pub fn run(args: &IssueArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}

//! `ccert completions`: print a shell completion script.

use std::io::Write;

use crate::cli::CompletionsArgs;

use super::{Context, Outcome};

/// Runs `ccert completions`.
pub fn run(args: &CompletionsArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    let script = crate::docs::completion_script(args.shell);
    std::io::stdout().write_all(&script)?;
    Ok(Outcome::Success)
}

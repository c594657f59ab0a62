//! Man pages and shell completions, generated from the clap definitions.
//!
//! The committed copies in `man/` and `completions/` are checked against this
//! output by the test suite; refresh them with
//! `CCERT_UPDATE_DOCS=1 cargo test --test integration docs`.

use clap_complete::Shell;

use crate::cli::{ShellArg, command};

/// The file name of the committed completion script for a shell.
pub fn completion_file_name(shell: ShellArg) -> &'static str {
    match shell {
        ShellArg::Bash => "ccert.bash",
        ShellArg::Zsh => "_ccert",
        ShellArg::Fish => "ccert.fish",
        ShellArg::Elvish => "ccert.elv",
        ShellArg::Powershell => "_ccert.ps1",
    }
}

/// The completion script for a shell.
pub fn completion_script(shell: ShellArg) -> Vec<u8> {
    let shell = match shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Elvish => Shell::Elvish,
        ShellArg::Powershell => Shell::PowerShell,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "ccert", &mut out);
    out
}

/// Every man page as `(file name, roff)`: `ccert.1`, `ccert-<sub>.1` and
/// `ccert-<sub>-<nested>.1`.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let cmd = command();
    let mut pages = vec![("ccert.1".to_string(), render(cmd.clone(), "ccert")?)];
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let page = format!("ccert-{}", sub.get_name());
        // Global options (-c, --map) belong on every page: they change what each command reads.
        // NAME reads `ccert-add - …` (what whatis/apropos index and `man ccert-add`
        // opens); the synopsis keeps the command as typed, `ccert add`.
        let mut sub = sub
            .clone()
            .bin_name(format!("ccert {}", sub.get_name()))
            // clap takes only 'static names; these few strings live as long as the process anyway.
            .name(&*Box::leak(page.clone().into_boxed_str()))
            // Nested commands show as ccert-db-init(1), their page's name.
            .display_name(page.clone());
        sub = with_global_options(sub, &cmd);
        // Nested commands (`ccert db init`) get their own page, ccert-db-init.1.
        for nested in sub.get_subcommands().filter(|n| n.get_name() != "help") {
            let name = format!("{page}-{}", nested.get_name());
            let mut nested = nested
                .clone()
                .bin_name(format!("ccert {} {}", sub.get_name(), nested.get_name()))
                .display_name(name.clone());
            nested = with_global_options(nested, &cmd);
            pages.push((format!("{name}.1"), render(nested, &name)?));
        }
        pages.push((format!("{page}.1"), render(sub, &page)?));
    }
    Ok(pages)
}

/// `sub` with the global options of `cmd` described on its page (its
/// `--help` only points to `ccert --help`, see [`crate::cli::command`]).
fn with_global_options(mut sub: clap::Command, cmd: &clap::Command) -> clap::Command {
    for arg in cmd.get_arguments().filter(|a| a.is_global_set()) {
        sub = sub.mut_arg(arg.get_id(), |a| {
            a.hide_short_help(false).hide_long_help(false)
        });
    }
    let after = sub.get_after_help().map(|t| t.to_string());
    match after
        .as_deref()
        .and_then(|t| t.find(crate::cli::GLOBAL_POINTER))
    {
        Some(0) => sub.after_help(None::<&'static str>),
        Some(at) => {
            let before = after.unwrap()[..at].trim_end().to_string();
            sub.after_help(before)
        }
        None => sub,
    }
}

fn render(cmd: clap::Command, title: &str) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .title(title.to_string())
        .section("1")
        .source(format!("ccert {}", env!("CARGO_PKG_VERSION")))
        .manual("ccert manual")
        .render(&mut out)?;
    Ok(out)
}

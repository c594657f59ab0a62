//! The `ccert` binary: parse the command line, dispatch, map errors to exit codes.
//!
//! Exit codes follow postmap: 0 success, 1 for errors and for a `query` miss.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match ccert::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are not errors; everything else exits 1 like postmap.
            let code = if err.use_stderr() { 1 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    if !cli.command.writes_files() {
        // Rust ignores SIGPIPE, which turns `ccert dump … | head` into a
        // panic on the next write; a reading command should just stop, as
        // postmap does.
        // SAFETY: setting a signal disposition before any thread is started.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    match ccert::cmd::run(&cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            // Not eprintln!: it panics when standard error is closed.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "ccert: error: {}", one_line(&err));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes on one line, each fact once: a cause whose
/// text the line already says (an OS error repeated by its wrapper, in
/// other words or case) is left out.
fn one_line(err: &anyhow::Error) -> String {
    let norm = |s: &str| {
        let s = match s.find(" (os error") {
            Some(cut) => &s[..cut],
            None => s,
        };
        s.to_lowercase()
    };
    let mut line = String::new();
    for cause in err.chain() {
        let mut text = cause.to_string();
        // The OS error number helps no administrator.
        if let Some(cut) = text.find(" (os error") {
            text.truncate(cut);
        }
        if line.is_empty() {
            line = text;
        } else if !norm(&line).contains(&norm(&text)) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

//! Benchmark driver for the `hash:` writer and reader (used by `benches/hash.sh`).
//!
//! `compile_hash SOURCE` builds `SOURCE.db` from plain `key value` lines
//! (key = text up to the first whitespace, folded to lower case; value = the
//! rest, trimmed). Lines that are empty or start with `#` are skipped; no
//! other postmap syntax is understood — `ccert compile` is the real command.
//!
//! `compile_hash --query KEY SOURCE` looks KEY up in `SOURCE.db` and prints the
//! value (exit 1 when missing), as `postmap -q KEY hash:SOURCE` does.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use ccert::maps::hash::HashBackend;
use ccert::maps::prepare::DuplicatePolicy;
use ccert::maps::{Backend, Entry, MapError};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, key, source] if flag == "--query" => query(key, &PathBuf::from(source)),
        [source] => compile(&PathBuf::from(source)),
        _ => Err("usage: compile_hash [--query KEY] SOURCE".to_string()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("compile_hash: {e}");
            ExitCode::FAILURE
        }
    }
}

fn query(key: &str, source: &PathBuf) -> Result<ExitCode, String> {
    let mut table = HashBackend.open(source).map_err(|e| e.to_string())?;
    match table
        .get(key.to_ascii_lowercase().as_bytes())
        .map_err(|e| e.to_string())?
    {
        Some(v) => {
            println!("{}", String::from_utf8_lossy(&v));
            Ok(ExitCode::SUCCESS)
        }
        None => Ok(ExitCode::FAILURE),
    }
}

fn compile(source: &PathBuf) -> Result<ExitCode, String> {
    let file = File::open(source).map_err(|e| format!("{}: {e}", source.display()))?;
    let mut input = BufReader::with_capacity(1 << 16, file);
    let path = source.clone();
    let mut line = Vec::new();
    let mut n = 0usize;
    let mut entries = std::iter::from_fn(|| {
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) => n += 1,
                Err(source) => {
                    return Some(Err(MapError::Io {
                        path: path.clone(),
                        source,
                    }));
                }
            }
            let text = line.trim_ascii();
            if text.is_empty() || text[0] == b'#' {
                continue;
            }
            let Some(split) = text.iter().position(|b| b.is_ascii_whitespace()) else {
                continue;
            };
            return Some(Ok(Entry {
                key: text[..split].to_ascii_lowercase(),
                value: text[split..].trim_ascii().to_vec(),
                line: n,
            }));
        }
    });
    let mut dups = 0usize;
    let target = HashBackend
        .write(source, &mut entries, DuplicatePolicy::Warn, &mut |d| {
            dups += 1;
            eprintln!(
                "compile_hash: warning: {}:{}: duplicate entry: \"{}\"",
                source.display(),
                d.line,
                String::from_utf8_lossy(&d.key)
            );
        })
        .map_err(|e| e.to_string())?;
    eprintln!(
        "compile_hash: wrote {} ({dups} duplicates)",
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}

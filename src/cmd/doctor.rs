//! `ccert doctor`: prints the findings of [`crate::doctor::audit`] and exits 1
//! when any is an error (with `--strict`, also a warning).

use std::path::Path;

use crate::cli::{DoctorArgs, DoctorFormat};
use crate::doctor::{Finding, Severity, audit};

use super::{Context, Outcome};

/// Runs `ccert doctor`.
pub fn run(args: &DoctorArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let findings = match ctx.postfix() {
        Ok(cfg) => {
            // A database list (--map pgsql:CF) is not a source file to audit.
            let source = ctx
                .map
                .as_deref()
                .filter(|m| crate::fleet::store_config(&m.to_string_lossy()).is_none());
            let mut findings = audit(cfg, source);
            findings.extend(crate::doctor::pgsql::audit(cfg));
            findings.extend(crate::doctor::fips::audit(cfg, &args.fips_file));
            findings
        }
        Err(e) => vec![Finding::error(crate::report::one_line(&e))],
    };
    match args.format {
        DoctorFormat::Json => println!("{}", serde_json::to_string_pretty(&findings)?),
        DoctorFormat::Text => print_text(&findings, &ctx.config_dir),
    }
    let problems = findings
        .iter()
        .any(|f| f.severity == Severity::Error || (args.strict && f.severity == Severity::Warning));
    Ok(if problems {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

fn print_text(findings: &[Finding], dir: &Path) {
    for f in findings {
        let severity = f.severity.name();
        let mut place = f.file.clone().unwrap_or_default();
        if let Some(line) = f.line {
            place.push_str(&format!(":{line}"));
        }
        if let Some(service) = &f.service {
            if place.is_empty() {
                place = format!("service {service}");
            } else {
                place.push_str(&format!(" (service {service})"));
            }
        }
        if place.is_empty() {
            println!("{severity}: {}", f.message);
        } else {
            println!("{severity}: {place}: {}", f.message);
        }
        if let Some(fix) = &f.fix {
            for (i, line) in fix.lines().enumerate() {
                let label = if i == 0 { "fix:" } else { "    " };
                println!("    {label} {line}");
            }
        }
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    if errors + warnings == 0 {
        println!(
            "ok: the client-certificate relay setup in {} looks sound",
            dir.display()
        );
    } else if errors == 0 {
        println!(
            "{warnings} warning(s), no errors in the client-certificate relay setup of {}",
            dir.display()
        );
    } else {
        println!(
            "{errors} error(s), {warnings} warning(s) in the client-certificate relay setup of {}",
            dir.display()
        );
    }
}

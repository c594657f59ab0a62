//! `ccert import SOURCE`: load a clientcerts source file into a database list.

use std::collections::HashMap;

use anyhow::{Context as _, bail};

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint};
use crate::certstore::CertStore;
use crate::cli::ImportArgs;
use crate::fleet::NewEntry;
use crate::fleet::pgsql::PgsqlStore;
use crate::source::SourceFile;
use crate::source::annotation::Annotation;

use super::{Context, Outcome};

/// Runs `ccert import`.
pub fn run(args: &ImportArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let Some(map) = ctx.store_map()? else {
        bail!(
            "import loads into a database list: name it with --map \
             pgsql:/etc/postfix/clientcerts.pgsql.cf (or set relay_clientcerts to it)"
        );
    };
    let cf = crate::fleet::store_config(&map).context("not a pgsql: list")?;
    let path = &args.source;
    let bytes =
        crate::fsutil::read_bounded(path, crate::fsutil::limits::SOURCE_FILE).map_err(|e| {
            anyhow::anyhow!(
                "{}: cannot read the clientcerts source: {}",
                path.display(),
                crate::report::describe_io(&e)
            )
        })?;
    let source = SourceFile::parse(&bytes);
    let (records, problems) = source.records();
    for p in &problems {
        tell!(
            "ccert: warning: {}, line {}: {}",
            path.display(),
            p.line,
            p.message
        );
    }
    let stored = CertStore::for_source(path).load(&mut |w| tell!("ccert: warning: {w}"));
    let mut certs: HashMap<Fingerprint, Certificate> = HashMap::new();
    for s in &stored {
        for digest in DigestAlgorithm::ALL {
            for pubkey in [false, true] {
                certs.insert(s.cert.fingerprint(digest, pubkey), s.cert.clone());
            }
        }
    }
    let mut entries = Vec::with_capacity(records.len());
    let mut skipped = 0usize;
    for r in &records {
        let fp = std::str::from_utf8(&r.key)
            .ok()
            .and_then(Fingerprint::parse);
        let name = String::from_utf8(r.value.clone()).ok();
        let (Some(fp), Some(name)) = (fp, name) else {
            tell!(
                "ccert: warning: {}:{}: skipped: the key is not a fingerprint or the name is not UTF-8",
                path.display(),
                r.line
            );
            skipped += 1;
            continue;
        };
        let note = (r.lines.start > 0)
            .then(|| Annotation::parse(source.line(r.lines.start - 1)))
            .flatten()
            .filter(|a| a.describes(&r.key))
            .unwrap_or_default();
        let cert = certs.get(&fp).cloned();
        let pubkey = note.pubkey.unwrap_or_else(|| {
            cert.as_ref()
                .is_some_and(|c| c.fingerprint(fp.algorithm, true) == fp)
        });
        entries.push(NewEntry {
            fingerprint: fp,
            name,
            pubkey,
            certificate: cert,
            not_after: note.not_after,
            subject: note.subject,
            added_at: note.added.map(|d| d.midnight().assume_utc()),
        });
    }
    let mut store = PgsqlStore::open(&cf)?;
    let report = store.import(&entries)?;
    for (fp, db_name, src_name) in &report.conflicts {
        tell!(
            "ccert: warning: {fp} is in the database as {db_name:?}, in {} as {src_name:?}; kept {db_name:?}",
            path.display()
        );
    }
    say!(
        "imported {} entries from {} into pgsql:{}: {} added, {} already present, {} under another name{}",
        entries.len(),
        path.display(),
        cf.display(),
        report.added,
        report.present,
        report.conflicts.len(),
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        }
    );
    Ok(Outcome::Success)
}

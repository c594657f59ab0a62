//! `ccert import SOURCE`: load a clientcerts source file into a database list.

use anyhow::{Context as _, bail};

use crate::cert::{Certificate, Fingerprint};
use crate::certstore::CertStore;
use crate::certstore::lookup::StoreIndex;
use crate::cli::ImportArgs;
use crate::fleet::NewEntry;
use crate::fleet::pgsql::PgsqlStore;
use crate::source::annotation::Annotation;
use crate::source::{CommentsAbove, Item, Record, RecordReader};

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
    // Streamed from the file to the server: memory stays small whatever the
    // source's size (docs/fleet.md#memory-at-fleet-scale).
    // A regular file only: a FIFO or a device would never end.
    let file = crate::fsutil::open_regular(path).map_err(|e| {
        anyhow::Error::new(e).context(format!(
            "{}: cannot read the clientcerts source",
            path.display()
        ))
    })?;
    let mut reader =
        RecordReader::new(std::io::BufReader::with_capacity(1 << 16, file)).with_comments();
    let mut index = CertStore::for_source(path).index(&mut |w| tell!("ccert: warning: {w}"));
    let mut comments = CommentsAbove::default();
    let (mut read, mut skipped) = (0u64, 0usize);
    let entries = std::iter::from_fn(|| {
        loop {
            let item = match reader.next()? {
                Ok(item) => item,
                Err(e) => {
                    return Some(Err(format!(
                        "reading the clientcerts source {}: {}; nothing was imported",
                        path.display(),
                        crate::report::describe_io(&e)
                    )));
                }
            };
            let r = match item {
                Item::Comment(index, text) => {
                    comments.note(index, text);
                    continue;
                }
                Item::Problem(p) => {
                    tell!("ccert: warning: {}", p.warning(path));
                    continue;
                }
                Item::Record(r) => r,
            };
            // The check add makes (one for every path into the list): a name
            // sync could not write back to a source file stops the import,
            // with its line; the transaction is rolled back.
            if let Ok(name) = std::str::from_utf8(&r.value)
                && let Err(why) = crate::source::check_value(name.as_bytes())
            {
                return Some(Err(format!(
                    "{}, line {}: {why}; nothing was imported (fix the name, then import again)",
                    path.display(),
                    r.line
                )));
            }
            let above = comments.above(r.lines.start);
            match entry_of(&r, above.as_deref(), &mut index) {
                Ok(Some(entry)) => {
                    read += 1;
                    return Some(Ok(entry));
                }
                Ok(None) => {
                    tell!(
                        "ccert: warning: {}:{}: skipped: the key is not a fingerprint or the name is not UTF-8",
                        path.display(),
                        r.line
                    );
                    skipped += 1;
                }
                Err(e) => {
                    return Some(Err(format!(
                        "{}: reading the stored certificates: {}; nothing was imported",
                        path.display(),
                        crate::report::describe_io(&e)
                    )));
                }
            }
        }
    });
    let mut store = PgsqlStore::open(&cf)?;
    super::store_edge::announce_waits(&mut store);
    let report = store.import(entries)?;
    for (fp, db_name, src_name) in &report.conflicts {
        tell!(
            "ccert: warning: {fp} is in the database as {db_name:?}, in {} as {src_name:?}; kept {db_name:?}",
            path.display()
        );
    }
    if report.conflicting > report.conflicts.len() as u64 {
        tell!(
            "ccert: warning: and {} more fingerprints under another name in the database; kept as they are",
            report.conflicting - report.conflicts.len() as u64
        );
    }
    say!(
        "imported {} entries from {} into pgsql:{}: {} added, {} already present, {} under another name{}",
        read,
        path.display(),
        cf.display(),
        report.added,
        report.present,
        report.conflicting,
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        }
    );
    Ok(Outcome::Success)
}

/// The entry for record `r` (with the comment line `above` it), its
/// certificate from the store beside the source when there is one; `None`
/// when the key is not a fingerprint or the name not UTF-8.
fn entry_of(
    r: &Record,
    above: Option<&[u8]>,
    index: &mut StoreIndex,
) -> std::io::Result<Option<NewEntry>> {
    let fp = std::str::from_utf8(&r.key)
        .ok()
        .and_then(Fingerprint::parse);
    let name = String::from_utf8(r.value.clone()).ok();
    let (Some(fp), Some(name)) = (fp, name) else {
        return Ok(None);
    };
    let note = above
        .and_then(Annotation::parse)
        .filter(|a| a.describes(&r.key))
        .unwrap_or_default();
    let cert: Option<Certificate> = index.find(&fp)?.map(|c| c.into_owned());
    let pubkey = note.pubkey.unwrap_or_else(|| {
        cert.as_ref()
            .is_some_and(|c| c.fingerprint(fp.algorithm, true) == fp)
    });
    Ok(Some(NewEntry {
        fingerprint: fp,
        name,
        pubkey,
        certificate: cert,
        not_after: note.not_after,
        subject: note.subject,
        added_at: note.added.map(|d| d.midnight().assume_utc()),
    }))
}

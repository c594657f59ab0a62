//! The in-memory editor, kept as the test oracle of the edit engine
//! ([`super::edit`]): putting one `fingerprint name` entry into a whole
//! [`SourceFile`] with the same rules (postmap keeps the first of duplicate
//! folded keys, so that one decides; the same name is nothing to do;
//! another name is an error unless the caller asked to replace it). The
//! engine's property tests compare their bytes; no command uses it.

use super::annotation::Annotation;
use super::{EditError, SourceFile};
use crate::cert::Fingerprint;

/// What [`upsert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted {
    /// Appended (annotation and entry).
    Added,
    /// Already present with this name, at this 1-based line.
    Unchanged {
        /// The entry's line.
        line: usize,
    },
    /// Renamed from `old`, at this 1-based line.
    Renamed {
        /// The entry's line.
        line: usize,
        /// The previous name.
        old: String,
    },
}

/// Why [`upsert`] changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpsertError {
    /// The fingerprint is listed under another name and replacing was not asked for.
    #[error("{line}: {key} is already present with the name {existing:?}, not {wanted:?}")]
    OtherName {
        /// 1-based line of the entry.
        line: usize,
        /// The fingerprint.
        key: String,
        /// Its current name.
        existing: String,
        /// The name asked for.
        wanted: String,
    },
    /// The name cannot be stored.
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// Adds `fingerprint name` (after `annotation`'s comment line), or renames the
/// entry already there when `replace`.
pub fn upsert(
    source: &mut SourceFile,
    fingerprint: &Fingerprint,
    name: &str,
    annotation: &Annotation,
    replace: bool,
) -> Result<Upserted, UpsertError> {
    let text = fingerprint.to_string();
    let (records, _) = source.records();
    if let Some(existing) = records
        .iter()
        .find(|r| r.key.eq_ignore_ascii_case(text.as_bytes()))
    {
        if existing.value == name.as_bytes() {
            return Ok(Upserted::Unchanged {
                line: existing.line,
            });
        }
        let old = String::from_utf8_lossy(&existing.value).into_owned();
        if !replace {
            return Err(UpsertError::OtherName {
                line: existing.line,
                key: text,
                existing: old,
                wanted: name.to_string(),
            });
        }
        source.replace_value(existing.lines.clone(), name.as_bytes())?;
        return Ok(Upserted::Renamed {
            line: existing.line,
            old,
        });
    }
    source.append_lines([annotation.to_line(), format!("{text} {name}")]);
    Ok(Upserted::Added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::DigestAlgorithm;

    #[test]
    fn adds_keeps_and_renames() {
        let fp = Fingerprint::compute(DigestAlgorithm::Sha256, b"k");
        let note =
            Annotation::for_fingerprint(&fp, false, None, time::macros::date!(2026 - 11 - 25));
        let mut source = SourceFile::parse(b"# mine\n");
        assert_eq!(
            upsert(&mut source, &fp, "a", &note, false).unwrap(),
            Upserted::Added
        );
        assert_eq!(
            upsert(&mut source, &fp, "a", &note, false).unwrap(),
            Upserted::Unchanged { line: 3 }
        );
        assert!(matches!(
            upsert(&mut source, &fp, "b", &note, false),
            Err(UpsertError::OtherName { line: 3, .. })
        ));
        assert_eq!(
            upsert(&mut source, &fp, "b", &note, true).unwrap(),
            Upserted::Renamed {
                line: 3,
                old: "a".into()
            }
        );
        let text = String::from_utf8(source.to_bytes()).unwrap();
        assert!(
            text.starts_with("# mine\n# ccert: added=2026-11-25 digest=sha256 type=cert fp="),
            "{text}"
        );
        assert!(text.ends_with(&format!("{fp} b\n")), "{text}");
    }
}

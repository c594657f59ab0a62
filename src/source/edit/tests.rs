//! The engine against the in-memory editor (the oracle): the same bytes and
//! the same outcomes for random sources (hand-written lines, ccert's
//! entries, comments, continuations, CRLF, no final newline, duplicate
//! keys) and random edits (adds, renames, removals).

use proptest::prelude::*;

use super::*;
use crate::cert::DigestAlgorithm;
use crate::source::SourceFile;
use crate::source::upsert::{UpsertError, Upserted, upsert};

/// A small pool of keys, so edits often meet existing entries.
fn key(i: usize) -> Fingerprint {
    Fingerprint::compute(DigestAlgorithm::Sha256, format!("k{i}").as_bytes())
}

fn note(fp: &Fingerprint) -> Annotation {
    Annotation::for_fingerprint(fp, false, None, time::macros::date!(2026 - 12 - 07))
}

/// One piece of a generated source.
#[derive(Debug, Clone)]
enum Piece {
    /// ccert's comment and entry (key index, name index), key in upper or lower case.
    Owned(usize, usize, bool),
    /// An entry without ccert's comment.
    Hand(usize, usize),
    /// A comment that is not ccert's.
    Comment,
    /// A ccert comment that does not describe the line below it.
    StrayNote(usize),
    /// A blank line.
    Blank,
    /// A continuation line (joins the record above, if any).
    Continuation,
    /// A line postmap skips.
    Junk,
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => (0..6usize, 0..3usize, any::<bool>()).prop_map(|(k, n, u)| Piece::Owned(k, n, u)),
        2 => (0..6usize, 0..3usize).prop_map(|(k, n)| Piece::Hand(k, n)),
        1 => Just(Piece::Comment),
        1 => (0..6usize).prop_map(Piece::StrayNote),
        1 => Just(Piece::Blank),
        1 => Just(Piece::Continuation),
        1 => Just(Piece::Junk),
    ]
}

fn render(pieces: &[Piece], crlf: bool, final_newline: bool) -> Vec<u8> {
    let mut lines: Vec<String> = Vec::new();
    for p in pieces {
        match p {
            Piece::Owned(k, n, upper) => {
                let fp = key(*k);
                lines.push(note(&fp).to_line());
                let text = fp.to_string();
                let text = if *upper {
                    text
                } else {
                    text.to_ascii_lowercase()
                };
                lines.push(format!("{text} name{n}"));
            }
            Piece::Hand(k, n) => lines.push(format!("{} name{n}", key(*k))),
            Piece::Comment => lines.push("# mine".into()),
            Piece::StrayNote(k) => lines.push(note(&key(*k)).to_line()),
            Piece::Blank => lines.push(String::new()),
            Piece::Continuation => lines.push("  more".into()),
            Piece::Junk => lines.push("lonely".into()),
        }
    }
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(eol);
    if final_newline && !lines.is_empty() {
        text.push_str(eol);
    }
    text.into_bytes()
}

/// Which records a generated edit removes.
#[derive(Debug, Clone, Copy)]
enum Removal {
    None,
    /// Entries ccert wrote whose key index is odd.
    OwnedOdd,
    /// Entries named `name1`.
    Name1,
}

fn removes(how: Removal, record: &Record, owned: bool) -> bool {
    match how {
        Removal::None => false,
        Removal::OwnedOdd => {
            owned
                && (0..6).filter(|i| i % 2 == 1).any(|i| {
                    record
                        .key
                        .eq_ignore_ascii_case(key(i).to_string().as_bytes())
                })
        }
        Removal::Name1 => record.value == b"name1",
    }
}

/// The oracle: removals from the last to the first on the model, each with
/// the ccert comment above it when it describes the record, then one
/// upsert per wanted entry.
fn oracle(
    input: &[u8],
    puts: &[Put],
    replace: bool,
    how: Removal,
) -> (Vec<u8>, Vec<Result<Upserted, String>>) {
    let mut model = SourceFile::parse(input);
    let (records, _) = model.records();
    let described = |r: &Record| {
        r.lines.start > 0
            && Annotation::parse(model.line(r.lines.start - 1)).is_some_and(|a| a.describes(&r.key))
    };
    let gone: Vec<(Range<usize>, bool)> = records
        .iter()
        .filter(|r| removes(how, r, described(r)))
        .map(|r| (r.lines.clone(), described(r)))
        .collect();
    for (lines, with_note) in gone.into_iter().rev() {
        let start = if with_note {
            lines.start - 1
        } else {
            lines.start
        };
        model.remove_lines(start..lines.end);
    }
    let mut outcomes = Vec::new();
    for p in puts {
        outcomes.push(
            match upsert(&mut model, &p.fingerprint, &p.name, &p.annotation, replace) {
                Ok(done) => Ok(done),
                Err(UpsertError::OtherName { existing, .. }) => Err(existing),
                Err(e) => panic!("{e}"),
            },
        );
    }
    (model.to_bytes(), outcomes)
}

fn same_kind(engine: &Outcome, oracle: &Result<Upserted, String>) -> bool {
    match (engine, oracle) {
        (Outcome::Added, Ok(Upserted::Added)) => true,
        (Outcome::Unchanged { .. }, Ok(Upserted::Unchanged { .. })) => true,
        (Outcome::Renamed { old: a, .. }, Ok(Upserted::Renamed { old: b, .. })) => a == b,
        (Outcome::OtherName { existing: a, .. }, Err(b)) => a == b,
        _ => false,
    }
}

fn run_engine(input: &[u8], puts: &[Put], replace: bool, how: Removal) -> (Vec<u8>, Plan) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clientcerts");
    std::fs::write(&path, input).unwrap();
    let mut locked = LockedSource::open(&path, false).unwrap();
    let mut select = |r: &Record, above: Option<&Annotation>| removes(how, r, above.is_some());
    let remove: Option<RemoveWhen<'_>> = match how {
        Removal::None => None,
        _ => Some(&mut select),
    };
    let plan = plan(&locked, puts, replace, remove).unwrap();
    if plan.refused().is_none() {
        let changed = plan.commit(&mut locked).unwrap();
        assert_eq!(changed, plan.changes());
    } else {
        assert!(matches!(
            plan.commit(&mut locked),
            Err(CommitError::Refused { .. })
        ));
    }
    drop(locked);
    (std::fs::read(&path).unwrap(), plan)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn engine_matches_the_in_memory_editor(
        pieces in prop::collection::vec(piece(), 0..14),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        wanted in prop::collection::vec((0..7usize, 0..3usize), 0..5),
        replace in any::<bool>(),
        how in prop_oneof![Just(Removal::None), Just(Removal::OwnedOdd), Just(Removal::Name1)],
    ) {
        let input = render(&pieces, crlf, final_newline);
        let puts: Vec<Put> = wanted
            .iter()
            .map(|&(k, n)| {
                let fingerprint = key(k);
                Put { annotation: note(&fingerprint), fingerprint, name: format!("name{n}") }
            })
            .collect();
        let (want, want_outcomes) = oracle(&input, &puts, replace, how);
        let (got, plan) = run_engine(&input, &puts, replace, how);
        prop_assert_eq!(plan.outcomes.len(), want_outcomes.len());
        for (e, o) in plan.outcomes.iter().zip(&want_outcomes) {
            prop_assert!(same_kind(e, o), "{:?} vs {:?}", e, o);
        }
        if plan.refused().is_some() {
            prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&input));
        } else {
            prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        }
    }
}

#[test]
fn outcomes_carry_the_lines_of_the_source_as_read() {
    let a = key(1);
    let input = format!("# mine\n{a} old\n");
    let put = |name: &str| Put {
        fingerprint: a.clone(),
        name: name.into(),
        annotation: note(&a),
    };
    let (_, plan) = run_engine(input.as_bytes(), &[put("old")], false, Removal::None);
    assert_eq!(plan.outcomes, [Outcome::Unchanged { line: Some(2) }]);
    let (_, plan) = run_engine(input.as_bytes(), &[put("new")], false, Removal::None);
    assert_eq!(
        plan.outcomes,
        [Outcome::OtherName {
            line: Some(2),
            existing: "old".into()
        }]
    );
    let (got, plan) = run_engine(
        input.as_bytes(),
        &[put("new"), put("new")],
        true,
        Removal::None,
    );
    assert_eq!(
        plan.outcomes,
        [
            Outcome::Renamed {
                line: Some(2),
                old: "old".into()
            },
            Outcome::Unchanged { line: Some(2) }
        ]
    );
    assert_eq!(got, format!("# mine\n{a} new\n").into_bytes());
}

#[test]
fn messages_are_worded_once() {
    let a = key(1);
    let m = |o: Outcome| {
        o.message(
            &a,
            "laptop",
            "/etc/postfix/clientcerts",
            Some("l.pem"),
            true,
        )
    };
    assert_eq!(
        m(Outcome::Added),
        Message::Done(format!("added {a} laptop to /etc/postfix/clientcerts"))
    );
    assert_eq!(
        m(Outcome::Unchanged { line: Some(3) }),
        Message::Notice(format!(
            "ccert: notice: l.pem: {a} is already in /etc/postfix/clientcerts (line 3) as \"laptop\"; nothing to do"
        ))
    );
    assert_eq!(
        m(Outcome::OtherName {
            line: Some(3),
            existing: "old".into()
        }),
        Message::Refused(format!(
            "/etc/postfix/clientcerts:3: {a} is already present with the name \"old\", not \"laptop\"; nothing changed (use --replace to rename it)"
        ))
    );
}

#[test]
fn mentions_any_finds_keys_in_any_case_across_reads() {
    let key = b"ab:cd:ef".to_vec();
    let other = b"01:02".to_vec();
    let keys = [&key, &other];
    assert!(mentions_any(&b"x AB:Cd:EF y\n"[..], &keys).unwrap());
    assert!(!mentions_any(&b"ab:cd:e f 01:03\n"[..], &keys).unwrap());
    // Split between two reads: a reader that returns 5 bytes at a time.
    struct Slow<'a>(&'a [u8]);
    impl Read for Slow<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(5).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    assert!(mentions_any(Slow(b"0123456789 xx Ab:cD:eF"), &keys).unwrap());
    assert!(!mentions_any(Slow(b"0123456789 xx Ab:cD:e"), &keys).unwrap());
    assert!(!mentions_any(&b""[..], &keys).unwrap());
}

#[test]
fn folded_prefixes_agree_for_keys_equal_but_for_case() {
    assert_eq!(
        folded_prefix(b"AB:CD:EF:01"),
        folded_prefix(b"ab:cd:ef:01:23")
    );
    assert_ne!(folded_prefix(b"ab:cd:e0:01"), folded_prefix(b"ab:cd:e1:01"));
    assert_eq!(folded_prefix(b"Ab"), folded_prefix(b"aB"));
}

/// Found by the property test in CI: a CRLF source without a final newline
/// whose last entry is removed while two are appended. Removal leaves the
/// first line's CR (so that add then remove restores the bytes); the second
/// entry appended then sees a CRLF file, as the in-memory editor does.
#[test]
fn entries_appended_after_removing_the_end_of_an_unterminated_crlf_source() {
    let input = render(&[Piece::Hand(2, 0), Piece::Owned(1, 0, false)], true, false);
    let puts: Vec<Put> = [3, 0]
        .into_iter()
        .map(|k| {
            let fingerprint = key(k);
            Put {
                annotation: note(&fingerprint),
                fingerprint,
                name: "name0".into(),
            }
        })
        .collect();
    let (want, _) = oracle(&input, &puts, false, Removal::OwnedOdd);
    let (got, _) = run_engine(&input, &puts, false, Removal::OwnedOdd);
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want)
    );
    assert!(
        !got.windows(2).any(|w| w == b"\r#"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

//! Property tests: arbitrary key/value sets round-trip through ccert's
//! lmdb and cdb writers and readers (hash has its own in `hash_interop`),
//! with postmap's duplicate rules (first kept, or last with `-r`).

use std::collections::BTreeMap;

use ccert::maps::prepare::DuplicatePolicy;
use ccert::maps::{Entry, MapType, backend};
use proptest::prelude::*;

fn pairs() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    // Keys: no NUL (postmap keys never hold one), at most 510 bytes (LMDB's
    // limit with the trailing NUL); a few repeat so duplicates happen.
    let key = prop_oneof![
        6 => prop::collection::vec(1u8..=255, 1..24),
        1 => prop::collection::vec(1u8..=255, 1..511),
        2 => prop::collection::vec(prop::sample::select(vec![b'a', b'b']), 1..3),
    ];
    let value = prop_oneof![
        6 => prop::collection::vec(1u8..=255, 0..40),
        1 => prop::collection::vec(1u8..=255, 0..9000),
    ];
    prop::collection::vec((key, value), 0..150)
}

fn round_trip(
    map_type: MapType,
    pairs: &[(Vec<u8>, Vec<u8>)],
    replace: bool,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("map");
    std::fs::write(&source, "").unwrap();
    let policy = if replace {
        DuplicatePolicy::Replace
    } else {
        DuplicatePolicy::Warn
    };
    let mut entries = pairs.iter().enumerate().map(|(i, (k, v))| {
        Ok(Entry {
            key: k.clone(),
            value: v.clone(),
            line: i + 1,
        })
    });
    let mut dropped = 0;
    backend(map_type)
        .write(&source, &mut entries, policy, &mut |_| dropped += 1)
        .unwrap();
    let mut want = BTreeMap::new();
    for (k, v) in pairs {
        if replace {
            want.insert(k.clone(), v.clone());
        } else {
            want.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    prop_assert_eq!(dropped, pairs.len() - want.len());
    let mut table = backend(map_type).open(&source).unwrap();
    let listed = table.entries().unwrap();
    prop_assert_eq!(listed.len(), want.len());
    let got: BTreeMap<Vec<u8>, Vec<u8>> = listed.into_iter().collect();
    prop_assert_eq!(&got, &want);
    for (k, v) in &want {
        let value = table.get(k).unwrap();
        prop_assert_eq!(value.as_ref(), Some(v));
    }
    for probe in [&b"missing-key"[..], b"\xff\xfe", b"a\0"] {
        if !want.contains_key(probe) && !want.contains_key(&probe[..probe.len() - 1]) {
            prop_assert_eq!(table.get(probe).unwrap(), None);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn lmdb_round_trips_arbitrary_pairs(pairs in pairs(), replace in any::<bool>()) {
        round_trip(MapType::Lmdb, &pairs, replace)?;
    }

    #[test]
    fn cdb_round_trips_arbitrary_pairs(pairs in pairs(), replace in any::<bool>()) {
        round_trip(MapType::Cdb, &pairs, replace)?;
    }
}

//! External sort of map entries, shared by the `lmdb:` and `sqlite:` writers.
//!
//! Both backends build a new table fastest from entries in key order, with
//! the duplicates already resolved. [`SortedEntries`] collects the streamed
//! entries into in-memory runs of at most `run_bytes` entry bytes, sorts
//! each run by key (byte order, equal keys in source order), spills every
//! full run to an unnamed temp file in the target's directory (the kernel
//! removes it when it is closed, even if ccert is killed), and then merges
//! the runs and resolves duplicate keys on the merged stream:
//! [`DuplicatePolicy::Warn`] and [`DuplicatePolicy::Ignore`] keep the first
//! value, [`DuplicatePolicy::Replace`] the last one, and every repeat is
//! reported, in source-line order. Memory stays bounded by the run size
//! (plus one buffered entry per spilled run while merging).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::prepare::{Duplicate, DuplicatePolicy};
use super::{Entry, MapError, io_err};

/// Entry bytes sorted in memory before a run is spilled to a temp file.
pub(crate) const RUN_BYTES: usize = 16 << 20;

/// A table type built from its entries in key order (lmdb, sqlite): the
/// hooks [`SortedBuild`] calls.
pub(crate) trait SortedFill {
    /// The final table path (errors on the shared sort name it).
    fn target(&self) -> &Path;

    /// Checks an entry as it arrives, in source order, so the first one
    /// this type cannot store fails the build before the table is filled.
    fn check(&mut self, entry: &Entry) -> Result<(), MapError>;

    /// Stores the next distinct key (ascending byte order) with the value
    /// the duplicate policy kept.
    fn store(&mut self, key: &[u8], value: &[u8]) -> Result<(), MapError>;

    /// Completes the table and makes it visible; returns its path.
    fn finish(self: Box<Self>) -> Result<PathBuf, MapError>;
}

/// One external sort feeding one or more [`SortedFill`]s: when several
/// sorted types are built from one source, the entries are sorted, spilled
/// and merged once for all of them.
pub(crate) struct SortedBuild {
    sorted: SortedEntries,
    fills: Vec<Box<dyn SortedFill>>,
}

impl SortedBuild {
    /// A build for `fills` (at least one), spilling sorted runs of about
    /// `run_bytes` into the first fill's directory.
    pub(crate) fn new(fills: Vec<Box<dyn SortedFill>>, run_bytes: usize) -> Self {
        let dir = crate::fsutil::parent_dir(fills[0].target()).to_path_buf();
        Self {
            sorted: SortedEntries::new(&dir, run_bytes),
            fills,
        }
    }

    /// Takes the next entry (source order), checked by every fill.
    pub(crate) fn push(&mut self, entry: &Entry) -> Result<(), MapError> {
        for fill in &mut self.fills {
            fill.check(entry)?;
        }
        self.sorted
            .push(&entry.key, &entry.value, entry.line)
            .map_err(|e| io_err(self.fills[0].target(), e))
    }

    /// Merges the runs, resolves duplicates by `policy`, stores every
    /// distinct key in each fill and completes the tables. Returns their
    /// paths (in the fills' order) and the repeats, in source-line order.
    pub(crate) fn finish(
        self,
        policy: DuplicatePolicy,
    ) -> Result<(Vec<PathBuf>, Vec<Duplicate>), MapError> {
        let Self { sorted, mut fills } = self;
        let target = fills[0].target().to_path_buf();
        let dups = sorted.for_each_unique(
            policy,
            |e| io_err(&target, e),
            |key, value, _line| {
                for fill in &mut fills {
                    fill.store(key, value)?;
                }
                Ok(())
            },
        )?;
        let paths = fills
            .into_iter()
            .map(|fill| fill.finish())
            .collect::<Result<_, _>>()?;
        Ok((paths, dups))
    }
}

/// Builds one sorted table (`fill`) from `entries` with [`SortedBuild`],
/// spilling runs every `run_bytes`, reporting each duplicate through
/// `duplicate`: the whole `Backend::write` of lmdb and sqlite.
pub(crate) fn build_one(
    fill: Box<dyn SortedFill>,
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    policy: DuplicatePolicy,
    duplicate: &mut dyn FnMut(Duplicate),
    run_bytes: usize,
) -> Result<PathBuf, MapError> {
    let mut build = SortedBuild::new(vec![fill], run_bytes);
    for entry in entries {
        build.push(&entry?)?;
    }
    let (mut paths, dups) = build.finish(policy)?;
    dups.into_iter().for_each(duplicate);
    Ok(paths.remove(0))
}

/// Entries being sorted: the current in-memory run and the runs already
/// spilled to temp files.
pub(crate) struct SortedEntries {
    dir: PathBuf,
    run_bytes: usize,
    run: Run,
    spilled: Vec<File>,
}

impl SortedEntries {
    /// Sorts entries in runs of about `run_bytes` key and value bytes,
    /// spilling full runs to temp files in `dir`.
    pub(crate) fn new(dir: &Path, run_bytes: usize) -> Self {
        Self {
            dir: dir.to_path_buf(),
            run_bytes,
            run: Run::default(),
            spilled: Vec::new(),
        }
    }

    /// Adds an entry from source line `line`; entries must come in source
    /// order. Fails only when a full run cannot be spilled.
    pub(crate) fn push(&mut self, key: &[u8], value: &[u8], line: usize) -> io::Result<()> {
        self.run.push(key, value, line);
        if self.run.data.len() >= self.run_bytes {
            self.run.sort();
            self.spilled.push(self.run.spill(&self.dir)?);
            self.run.clear();
        }
        Ok(())
    }

    /// Calls `store(key, value, line)` for every distinct key in ascending
    /// byte order, with the value `policy` keeps (the first one, or the last
    /// one under [`DuplicatePolicy::Replace`]) and that value's source line,
    /// and returns the repeats, sorted by source line. Stops at the first
    /// error, of `store` or (mapped by `io_err`) of reading a spilled run.
    pub(crate) fn for_each_unique<E>(
        mut self,
        policy: DuplicatePolicy,
        io_err: impl Fn(io::Error) -> E,
        mut store: impl FnMut(&[u8], &[u8], usize) -> Result<(), E>,
    ) -> Result<Vec<Duplicate>, E> {
        self.run.sort();
        let mut sources: Vec<RunReader<'_>> = std::mem::take(&mut self.spilled)
            .into_iter()
            .map(RunReader::file)
            .collect::<io::Result<_>>()
            .map_err(&io_err)?;
        sources.push(RunReader::Memory {
            run: &self.run,
            pos: 0,
        });
        let mut merged = Merge {
            sources,
            taken: None,
        };
        let mut dups = Vec::new();
        // The key being grouped; under Replace also the value and line kept
        // so far (the first value is stored at once under Warn and Ignore).
        let (mut key, mut value, mut kept) = (Vec::new(), Vec::new(), 0);
        let mut grouping = false;
        let replace = policy == DuplicatePolicy::Replace;
        while let Some((k, v, line)) = merged.next().map_err(&io_err)? {
            if grouping && k == key.as_slice() {
                dups.push(Duplicate {
                    key: key.clone(),
                    line,
                });
                if replace {
                    value.clear();
                    value.extend_from_slice(v);
                    kept = line;
                }
                continue;
            }
            if grouping && replace {
                store(&key, &value, kept)?;
            }
            key.clear();
            key.extend_from_slice(k);
            if replace {
                value.clear();
                value.extend_from_slice(v);
                kept = line;
            } else {
                store(k, v, line)?;
            }
            grouping = true;
        }
        if grouping && replace {
            store(&key, &value, kept)?;
        }
        dups.sort_by_key(|d| d.line);
        Ok(dups)
    }
}

/// Entries packed into one buffer (`key` then `value` each) to keep the
/// per-entry overhead small.
#[derive(Default)]
struct Run {
    data: Vec<u8>,
    items: Vec<Item>,
}

/// Where one entry lies in a buffer of entries packed back to back, its
/// value right after its key: the layout of a sort run and of an LMDB batch.
#[derive(Clone, Copy)]
pub(super) struct Span {
    start: usize,
    key_len: u32,
    value_len: u32,
}

impl Span {
    /// Appends `key` and `value` to `data`, each followed by `end` (LMDB
    /// tables store Postfix's NUL with both).
    pub(super) fn push(data: &mut Vec<u8>, key: &[u8], value: &[u8], end: &[u8]) -> Self {
        let start = data.len();
        for part in [key, end, value, end] {
            data.extend_from_slice(part);
        }
        // Source lines are far shorter than 4 GiB (they are read into memory).
        Self {
            start,
            key_len: (key.len() + end.len()) as u32,
            value_len: (value.len() + end.len()) as u32,
        }
    }

    /// The key (with its `end`) in `data`.
    pub(super) fn key(self, data: &[u8]) -> &[u8] {
        &data[self.start..self.start + self.key_len as usize]
    }

    /// The value (with its `end`) in `data`.
    pub(super) fn value(self, data: &[u8]) -> &[u8] {
        let start = self.start + self.key_len as usize;
        &data[start..start + self.value_len as usize]
    }
}

#[derive(Clone, Copy)]
struct Item {
    /// The first 8 key bytes, big-endian (zero-padded): most comparisons
    /// while sorting are decided by it without touching the scattered data.
    prefix: u64,
    span: Span,
    line: usize,
}

impl Run {
    fn push(&mut self, key: &[u8], value: &[u8], line: usize) {
        let span = Span::push(&mut self.data, key, value, b"");
        self.items.push(Item {
            prefix: prefix(key),
            span,
            line,
        });
    }

    fn key(&self, item: &Item) -> &[u8] {
        item.span.key(&self.data)
    }

    fn value(&self, item: &Item) -> &[u8] {
        item.span.value(&self.data)
    }

    /// Sorts by key; equal keys stay in source order (their data is stored
    /// in source order, so `start` breaks ties).
    fn sort(&mut self) {
        let mut items = std::mem::take(&mut self.items);
        items.sort_unstable_by(|a, b| {
            a.prefix
                .cmp(&b.prefix)
                .then_with(|| self.key(a).cmp(self.key(b)))
                .then(a.span.start.cmp(&b.span.start))
        });
        self.items = items;
    }

    fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
    }

    /// Writes the sorted run to an unnamed temp file in `dir`:
    /// `key_len u32, value_len u32, line u64, key, value` per entry.
    fn spill(&self, dir: &Path) -> io::Result<File> {
        let file = tempfile::tempfile_in(dir)?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        for item in &self.items {
            out.write_all(&item.span.key_len.to_le_bytes())?;
            out.write_all(&item.span.value_len.to_le_bytes())?;
            out.write_all(&(item.line as u64).to_le_bytes())?;
            out.write_all(self.key(item))?;
            out.write_all(self.value(item))?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        io::Seek::rewind(&mut file)?;
        Ok(file)
    }
}

/// The first 8 bytes of `bytes` as a big-endian number, zero-padded. A
/// shorter key sorts before the longer keys it is a prefix of, so numeric
/// order agrees with byte order wherever the prefixes differ.
fn prefix(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(buf)
}

/// An entry of a run: key, value and source line.
type Current<'a> = (&'a [u8], &'a [u8], usize);

/// One sorted run being merged.
enum RunReader<'a> {
    Memory {
        run: &'a Run,
        pos: usize,
    },
    File {
        input: BufReader<File>,
        key_len: usize,
        entry: Vec<u8>,
        line: usize,
        done: bool,
    },
}

impl RunReader<'_> {
    fn file(file: File) -> io::Result<Self> {
        let mut reader = Self::File {
            input: BufReader::with_capacity(1 << 16, file),
            key_len: 0,
            entry: Vec::new(),
            line: 0,
            done: false,
        };
        reader.advance()?;
        Ok(reader)
    }

    fn current(&self) -> Option<Current<'_>> {
        match self {
            Self::Memory { run, pos } => run
                .items
                .get(*pos)
                .map(|item| (run.key(item), run.value(item), item.line)),
            Self::File {
                key_len,
                entry,
                line,
                done,
                ..
            } => (!done).then(|| (&entry[..*key_len], &entry[*key_len..], *line)),
        }
    }

    fn advance(&mut self) -> io::Result<()> {
        match self {
            Self::Memory { pos, .. } => *pos += 1,
            Self::File {
                input,
                key_len,
                entry,
                line,
                done,
            } => {
                let mut head = [0u8; 16];
                match input.read_exact(&mut head) {
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        *done = true;
                        return Ok(());
                    }
                    other => other?,
                }
                *key_len = u32::from_le_bytes(head[..4].try_into().unwrap()) as usize;
                let value_len = u32::from_le_bytes(head[4..8].try_into().unwrap()) as usize;
                *line = u64::from_le_bytes(head[8..].try_into().unwrap()) as usize;
                entry.resize(*key_len + value_len, 0);
                input.read_exact(entry)?;
            }
        }
        Ok(())
    }
}

/// Merges sorted runs; equal keys come out in source order (earlier runs
/// hold earlier records, and each run keeps equal keys in source order).
struct Merge<'a> {
    sources: Vec<RunReader<'a>>,
    /// The run whose current entry was handed out last.
    taken: Option<usize>,
}

impl Merge<'_> {
    /// The next entry in key order.
    fn next(&mut self) -> io::Result<Option<Current<'_>>> {
        if let Some(i) = self.taken.take() {
            self.sources[i].advance()?;
        }
        // Few runs (one per run size of input): a linear scan is enough.
        // Ties go to the earlier run, which holds the earlier records.
        let mut best: Option<(usize, &[u8])> = None;
        for (i, source) in self.sources.iter().enumerate() {
            if let Some((key, _, _)) = source.current()
                && best.is_none_or(|(_, b)| key < b)
            {
                best = Some((i, key));
            }
        }
        let Some((i, _)) = best else {
            return Ok(None);
        };
        self.taken = Some(i);
        Ok(self.sources[i].current())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored entries (key, value, line) and reported repeats (key, line).
    type Sorted = (Vec<(String, String, usize)>, Vec<(String, usize)>);

    /// Sorts `input` with runs of `run_bytes` and returns what was stored
    /// and reported.
    fn sort(input: &[(&str, &str)], policy: DuplicatePolicy, run_bytes: usize) -> Sorted {
        let dir = tempfile::tempdir().unwrap();
        let mut sorted = SortedEntries::new(dir.path(), run_bytes);
        for (i, (k, v)) in input.iter().enumerate() {
            sorted.push(k.as_bytes(), v.as_bytes(), i + 1).unwrap();
        }
        let mut stored = Vec::new();
        let dups = sorted
            .for_each_unique(
                policy,
                |e| e,
                |k, v, line| {
                    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
                    stored.push((text(k), text(v), line));
                    Ok(())
                },
            )
            .unwrap();
        let dups = dups
            .into_iter()
            .map(|d| (String::from_utf8(d.key).unwrap(), d.line))
            .collect();
        (stored, dups)
    }

    #[test]
    fn sorts_and_resolves_duplicates_in_memory_and_spilled() {
        let input = [
            ("b", "1"),
            ("a", "2"),
            ("b", "3"),
            ("ab", "4"),
            ("", "5"),
            ("a\0", "6"),
            ("b", "7"),
            ("abcdefghij", "8"),
            ("abcdefghi", "9"),
            ("a", "10"),
        ];
        for run_bytes in [1, 5, 1 << 20] {
            let (stored, dups) = sort(&input, DuplicatePolicy::Warn, run_bytes);
            let keys: Vec<&str> = stored.iter().map(|(k, _, _)| k.as_str()).collect();
            assert_eq!(keys, ["", "a", "a\0", "ab", "abcdefghi", "abcdefghij", "b"]);
            assert_eq!(stored[1], ("a".into(), "2".into(), 2));
            assert_eq!(stored[6], ("b".into(), "1".into(), 1));
            assert_eq!(dups, [("b".into(), 3), ("b".into(), 7), ("a".into(), 10)]);

            let (stored, replaced) = sort(&input, DuplicatePolicy::Replace, run_bytes);
            assert_eq!(stored[1], ("a".into(), "10".into(), 10));
            assert_eq!(stored[6], ("b".into(), "7".into(), 7));
            assert_eq!(replaced, dups);
        }
    }
}

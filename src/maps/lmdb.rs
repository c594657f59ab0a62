//! The `lmdb:` backend.
//!
//! Postfix opens `FILE.lmdb` as a single file (`MDB_NOSUBDIR | MDB_NOLOCK`),
//! uses the unnamed main database, stores keys and values with one trailing
//! NUL and protects every transaction with an fcntl lock on the file instead
//! of LMDB's lock file (docs/formats/lmdb.md). ccert writes with heed 0.22.1 (LMDB data
//! version 1, readable by Debian's liblmdb 0.9.24) into a temp file beside
//! the table, then renames it over the table while holding an fcntl write
//! lock on the old file, so a Postfix reader never sees a half-built table.
//!
//! Entries are sorted before they reach LMDB (in memory, or for big maps in
//! sorted runs spilled to unnamed temp files and merged), duplicates are
//! resolved on the sorted stream, and the unique keys are appended with
//! `MDB_APPEND` in moderately sized transactions. Appending fills every page
//! and touches only the right edge of the tree, so the file is compact, the
//! build is fast, and memory stays bounded by the run and batch sizes.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use heed::types::Bytes;
use heed::{Database, Env, EnvFlags, EnvOpenOptions, MdbError, PutFlags};

use super::io_err;
use super::lmdb_check::{self, Layout};
use super::prepare::{Duplicate, DuplicatePolicy};
use super::sorted::{SortedBuild, SortedFill};
use super::table_file::{NewTable, ReaderLock};
use super::{Backend, Entry, MapError, MapType, Table, Visit, writeback};
use crate::fsutil::{self, LockKind};

/// Largest key LMDB 0.9 stores (`MDB_MAXKEYSIZE`), trailing NUL included.
pub const MAX_KEY_SIZE: usize = 511;

/// Entry bytes sorted in memory before a run is spilled to a temp file.
const RUN_BYTES: usize = 16 << 20;

/// Entry bytes appended per write transaction. The batch is kept until it is
/// committed so it can be replayed after growing the map on `MDB_MAP_FULL`.
const BATCH_BYTES: usize = 4 << 20;

/// Smallest map size (Postfix's `lmdb_map_size` default, 16 MiB).
const MIN_MAP_SIZE: usize = 16 << 20;

/// Writes and reads `lmdb:` tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct LmdbBackend;

impl Backend for LmdbBackend {
    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        write_table(source, entries, policy, duplicate, RUN_BYTES)
    }

    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError> {
        let path = MapType::Lmdb.table_path(source);
        Ok(Box::new(LmdbTable::open(&path)?))
    }
}

/// [`LmdbBackend::write`], spilling a sorted run every `run_bytes`.
fn write_table(
    source: &Path,
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    policy: DuplicatePolicy,
    duplicate: &mut dyn FnMut(Duplicate),
    run_bytes: usize,
) -> Result<PathBuf, MapError> {
    let mut build = SortedBuild::new(vec![Box::new(LmdbFill::begin(source)?)], run_bytes);
    for entry in entries {
        build.push(&entry?)?;
    }
    let (mut paths, dups) = build.finish(policy)?;
    dups.into_iter().for_each(duplicate);
    Ok(paths.remove(0))
}

/// A new table being filled in key order (see [`SortedBuild`]): the unique
/// keys are appended in batches, each in one write transaction.
pub(crate) struct LmdbFill {
    source: PathBuf,
    table: NewTable,
    /// Bytes the entries take in LMDB pages (an overestimate), to size the map.
    estimate: usize,
    /// Opened at the first store, once `estimate` is known.
    builder: Option<Builder>,
    batch: Batch,
}

impl LmdbFill {
    /// Starts the new table for `source`.
    pub(crate) fn begin(source: &Path) -> Result<Self, MapError> {
        // Postfix's slmdb takes fcntl locks on the .lmdb file (MDB_NOLOCK).
        let table = NewTable::begin(source, MapType::Lmdb, ReaderLock::Fcntl)?;
        Ok(Self {
            source: source.to_path_buf(),
            table,
            estimate: 0,
            builder: None,
            batch: Batch::default(),
        })
    }

    fn builder(&mut self) -> Result<&mut Builder, MapError> {
        if self.builder.is_none() {
            let file = self
                .table
                .file()
                .try_clone()
                .map_err(|e| self.table.error(e))?;
            let target = self.table.target();
            let size = self.estimate.saturating_mul(2);
            self.builder = Some(Builder::open(self.table.path(), target, size, file)?);
        }
        Ok(self.builder.as_mut().expect("opened above"))
    }
}

impl SortedFill for LmdbFill {
    fn target(&self) -> &Path {
        self.table.target()
    }

    fn check(&mut self, entry: &Entry) -> Result<(), MapError> {
        if entry.key.len() + 1 > MAX_KEY_SIZE {
            return Err(MapError::Entry {
                path: self.source.clone(),
                line: entry.line,
                message: format!(
                    "key is {} bytes long; lmdb tables allow at most {} bytes per key \
                         (use hash or cdb for longer keys)",
                    entry.key.len(),
                    MAX_KEY_SIZE - 1
                ),
            });
        }
        self.estimate = self
            .estimate
            .saturating_add(page_bytes(entry.key.len(), entry.value.len()));
        Ok(())
    }

    fn store(&mut self, key: &[u8], value: &[u8]) -> Result<(), MapError> {
        self.batch.push(key, value);
        if self.batch.data.len() >= BATCH_BYTES {
            let batch = std::mem::take(&mut self.batch);
            self.builder()?.append(&batch)?;
            self.batch = batch;
            self.batch.clear();
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<PathBuf, MapError> {
        let batch = std::mem::take(&mut self.batch);
        self.builder()?.append(&batch)?;
        if let Some(builder) = self.builder.take() {
            builder.close();
        }
        self.table.commit()
    }
}

/// A generous bound on the bytes an entry takes in a full LMDB leaf page
/// (node header, key and value with their NULs, index slot), or in overflow
/// pages for big values; used to size the map.
fn page_bytes(key: usize, value: usize) -> usize {
    let node = 8 + key + 1 + value + 1 + 2;
    if node > 2000 {
        8 + key + 1 + 8 + 2 + (value + 1 + 16).div_ceil(4096) * 4096
    } else {
        node
    }
}

/// Entries packed into one buffer (`key\0value\0` each), appended in one
/// write transaction.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    items: Vec<Item>,
}

#[derive(Clone, Copy)]
struct Item {
    start: usize,
    key_len: u32,
    value_len: u32,
}

impl Batch {
    /// Adds a key and value, appending their NULs.
    fn push(&mut self, key: &[u8], value: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(key);
        self.data.push(0);
        self.data.extend_from_slice(value);
        self.data.push(0);
        self.items.push(Item {
            start,
            key_len: key.len() as u32 + 1,
            value_len: value.len() as u32 + 1,
        });
    }

    fn key(&self, item: &Item) -> &[u8] {
        &self.data[item.start..item.start + item.key_len as usize]
    }

    fn value(&self, item: &Item) -> &[u8] {
        let start = item.start + item.key_len as usize;
        &self.data[start..start + item.value_len as usize]
    }

    fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
    }
}

/// An LMDB environment on the temp file being built.
struct Builder {
    env: Option<Env>,
    db: Database<Bytes, Bytes>,
    map_size: usize,
    target: PathBuf,
    /// The temp file, to start writeback of committed pages early.
    file: File,
    written: u64,
}

impl Builder {
    fn open(temp: &Path, target: &Path, estimate: usize, file: File) -> Result<Self, MapError> {
        let page = page_size();
        let map_size = estimate
            .saturating_add(MIN_MAP_SIZE)
            .div_ceil(page)
            .saturating_mul(page);
        let mut options = EnvOpenOptions::new();
        options.map_size(map_size);
        // SAFETY: NO_LOCK and NO_SYNC are safe here: the temp file has a random
        // name no other process opens, this process opens it once, and the file
        // is fsynced by AtomicFile::commit before it becomes the table.
        unsafe {
            options.flags(EnvFlags::NO_SUB_DIR | EnvFlags::NO_LOCK | EnvFlags::NO_SYNC);
        }
        // SAFETY: see above; nothing else maps or modifies the temp file.
        let env = unsafe { options.open(temp) }.map_err(|e| backend_err(target, e))?;
        let mut wtxn = env.write_txn().map_err(|e| backend_err(target, e))?;
        let db = env
            .create_database::<Bytes, Bytes>(&mut wtxn, None)
            .map_err(|e| backend_err(target, e))?;
        wtxn.commit().map_err(|e| backend_err(target, e))?;
        Ok(Self {
            env: Some(env),
            db,
            map_size,
            target: target.to_path_buf(),
            file,
            written: 0,
        })
    }

    /// Appends a batch of sorted, unique keys in one transaction, growing
    /// the map and retrying the batch when it does not fit.
    fn append(&mut self, batch: &Batch) -> Result<(), MapError> {
        if batch.items.is_empty() {
            return Ok(());
        }
        loop {
            match self.try_append(batch) {
                Ok(()) => break,
                Err(heed::Error::Mdb(MdbError::MapFull)) => {
                    self.map_size =
                        self.map_size
                            .checked_mul(2)
                            .ok_or_else(|| MapError::Backend {
                                path: self.target.clone(),
                                message: "the table does not fit in the address space".into(),
                            })?;
                    let env = self.env.as_ref().expect("open environment");
                    // SAFETY: no transaction is active (try_append's was aborted).
                    unsafe { env.resize(self.map_size) }
                        .map_err(|e| backend_err(&self.target, e))?;
                }
                Err(e) => return Err(backend_err(&self.target, e)),
            }
        }
        // The committed pages are final: let the disk start on them.
        if let Ok(meta) = self.file.metadata() {
            let len = meta.len();
            if len > self.written {
                writeback::start(&self.file, self.written, len - self.written);
                self.written = len;
            }
        }
        Ok(())
    }

    fn try_append(&self, batch: &Batch) -> Result<(), heed::Error> {
        let env = self.env.as_ref().expect("open environment");
        let mut wtxn = env.write_txn()?;
        for item in &batch.items {
            self.db.put_with_flags(
                &mut wtxn,
                PutFlags::APPEND,
                batch.key(item),
                batch.value(item),
            )?;
        }
        wtxn.commit()
    }

    /// Closes the environment so the file can be committed.
    fn close(mut self) {
        self.env.take();
    }
}

/// An open `lmdb:` table.
///
/// Single lookups read the file with `pread` along one root-to-leaf path,
/// checking each page first (see [`lmdb_check::lookup`]), so a query costs
/// a few page reads whatever the table's size. Reading every entry walks and
/// checks the whole tree once, then lets LMDB iterate it.
pub struct LmdbTable {
    path: PathBuf,
    layout: Layout,
    /// Branch pages checked by earlier lookups.
    cache: lmdb_check::BranchCache,
    /// LMDB's view, opened on the first full read.
    env: Option<(Env, Database<Bytes, Bytes>)>,
    // Holds the fcntl read lock while the table is open, as Postfix's
    // readers do around their lookups.
    file: File,
}

impl LmdbTable {
    /// Opens `path` (the `.lmdb` file) read-only, checking its meta pages.
    pub fn open(path: &Path) -> Result<Self, MapError> {
        let mut file = File::open(path).map_err(|e| io_err(path, e))?;
        fsutil::lock(&file, LockKind::Fcntl, false).map_err(|e| io_err(path, e))?;
        let layout = check_header(path, &mut file)?;
        Ok(Self {
            path: path.to_path_buf(),
            layout,
            cache: Default::default(),
            env: None,
            file,
        })
    }

    /// Walks and checks the whole tree, then maps the file with LMDB.
    fn env(&mut self) -> Result<&(Env, Database<Bytes, Bytes>), MapError> {
        if self.env.is_none() {
            let path = &self.path;
            lmdb_check::check_tree(path, &self.file, &self.layout)?;
            let mut options = EnvOpenOptions::new();
            // SAFETY: NO_LOCK is how Postfix opens its tables; the fcntl read lock
            // taken in `open` keeps cooperating writers (postmap, ccert) out, and
            // ccert replaces tables by rename, never by writing into them.
            unsafe {
                options.flags(EnvFlags::NO_SUB_DIR | EnvFlags::NO_LOCK | EnvFlags::READ_ONLY);
            }
            // SAFETY: as above.
            let env = unsafe { options.open(path) }.map_err(|e| read_err(path, e))?;
            let rtxn = env.read_txn().map_err(|e| read_err(path, e))?;
            let db = env
                .open_database::<Bytes, Bytes>(&rtxn, None)
                .map_err(|e| read_err(path, e))?
                .ok_or_else(|| MapError::Corrupt {
                    path: path.to_path_buf(),
                    message: "no main database".into(),
                })?;
            drop(rtxn);
            self.env = Some((env, db));
        }
        Ok(self.env.as_ref().expect("opened above"))
    }
}

impl Table for LmdbTable {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, MapError> {
        let mut with_nul = key.to_vec();
        with_nul.push(0);
        for candidate in [&with_nul[..], key] {
            if candidate.is_empty() || candidate.len() > MAX_KEY_SIZE {
                continue;
            }
            if let Some(value) = lmdb_check::lookup(
                &self.path,
                &self.file,
                &self.layout,
                candidate,
                &mut self.cache,
            )? {
                return Ok(Some(strip_nul(&value).to_vec()));
            }
        }
        Ok(None)
    }

    fn for_each_entry(&mut self, visit: &mut Visit<'_>) -> Result<(), MapError> {
        let path = self.path.clone();
        let (env, db) = self.env()?;
        let rtxn = env.read_txn().map_err(|e| read_err(&path, e))?;
        for item in db.iter(&rtxn).map_err(|e| read_err(&path, e))? {
            let (k, v) = item.map_err(|e| read_err(&path, e))?;
            if visit(strip_nul(k), strip_nul(v)).is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// Validates the two LMDB meta pages before mapping the file: LMDB itself
/// would crash (SIGBUS) on a file shorter than its meta page claims.
/// Returns what the meta page LMDB will use says, for the tree walk.
fn check_header(path: &Path, file: &mut File) -> Result<Layout, MapError> {
    let corrupt = |message: String| MapError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let len = file.metadata().map_err(|e| io_err(path, e))?.len();
    let mut first = vec![0u8; 4096];
    read_at_most(file, &mut first).map_err(|e| io_err(path, e))?;
    let meta0 = Meta::parse(&first).ok_or_else(|| corrupt("not an LMDB file".into()))?;
    if meta0.version != 1 {
        return Err(corrupt(format!(
            "LMDB data version {} (Postfix's LMDB 0.9 reads version 1)",
            meta0.version
        )));
    }
    let psize = meta0.page_size as u64;
    if !(512..=65536).contains(&psize) || !psize.is_power_of_two() {
        return Err(corrupt(format!("bad page size {psize}")));
    }
    let mut second = vec![0u8; 160];
    let meta1 = if len >= psize + 160 {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(&mut second, psize)
            .map_err(|e| io_err(path, e))?;
        Meta::parse(&second)
    } else {
        None
    };
    let meta = match meta1 {
        Some(m) if m.txnid > meta0.txnid => m,
        _ => meta0,
    };
    // LMDB takes the page size from the meta page it picks: a newer meta
    // page with another page size makes it read far outside the file
    // (SIGBUS; found by the lmdb_reader fuzz target).
    if u64::from(meta.page_size) != psize {
        return Err(corrupt(format!(
            "the meta pages disagree on the page size ({psize} and {})",
            meta.page_size
        )));
    }
    let needed = meta
        .last_page
        .checked_add(1)
        .and_then(|n| n.checked_mul(psize))
        .ok_or_else(|| corrupt("bad last page number".into()))?;
    if len < needed {
        return Err(corrupt(format!(
            "truncated: {len} bytes, but the table needs {needed}"
        )));
    }
    Ok(Layout {
        psize,
        last_page: meta.last_page,
        free_root: meta.free_root,
        main_root: meta.main_root,
        main_depth: meta.main_depth,
        main_flags: meta.main_flags,
        main_entries: meta.main_entries,
    })
}

/// The fields of an LMDB meta page (64-bit layout) this module checks.
struct Meta {
    version: u32,
    page_size: u32,
    last_page: u64,
    txnid: u64,
    free_root: u64,
    main_flags: u16,
    main_depth: u16,
    main_entries: u64,
    main_root: u64,
}

impl Meta {
    const MAGIC: u32 = 0xBEEF_C0DE;

    fn parse(page: &[u8]) -> Option<Self> {
        if page.len() < 152 {
            return None;
        }
        let u32_at = |o: usize| u32::from_le_bytes(page[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(page[o..o + 8].try_into().unwrap());
        let u16_at = |o: usize| u16::from_le_bytes([page[o], page[o + 1]]);
        if u32_at(16) != Self::MAGIC {
            return None;
        }
        Some(Self {
            version: u32_at(20),
            // The free database's md_pad holds the page size.
            page_size: u32_at(40),
            last_page: u64_at(136),
            txnid: u64_at(144),
            // mm_dbs[0] (free pages) at 40 and mm_dbs[1] (main) at 88, each
            // {pad u32, flags u16, depth u16, branch, leaf, overflow pages,
            // entries, root u64}.
            free_root: u64_at(80),
            main_flags: u16_at(92),
            main_depth: u16_at(94),
            main_entries: u64_at(120),
            main_root: u64_at(128),
        })
    }
}

fn read_at_most(file: &mut File, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    buf.truncate(filled);
    Ok(())
}

fn strip_nul(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(&[0]).unwrap_or(bytes)
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 { n as usize } else { 4096 }
}

fn backend_err(path: &Path, e: heed::Error) -> MapError {
    match e {
        heed::Error::Io(source) => io_err(path, source),
        // LMDB passes errno values through as its own error codes.
        heed::Error::Mdb(MdbError::Other(code)) if code > 0 => {
            io_err(path, io::Error::from_raw_os_error(code))
        }
        other => MapError::Backend {
            path: path.to_path_buf(),
            message: format!("LMDB: {other}"),
        },
    }
}

/// Errors while reading: damage reported by LMDB is `Corrupt`.
fn read_err(path: &Path, e: heed::Error) -> MapError {
    match e {
        heed::Error::Mdb(
            m @ (MdbError::Corrupted
            | MdbError::Invalid
            | MdbError::VersionMismatch
            | MdbError::PageNotFound
            | MdbError::Incompatible
            | MdbError::BadValSize),
        ) => MapError::Corrupt {
            path: path.to_path_buf(),
            message: format!("LMDB: {m}"),
        },
        other => backend_err(path, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(
        dir: &Path,
        pairs: &[(&str, &str)],
        policy: DuplicatePolicy,
    ) -> (PathBuf, Vec<Duplicate>) {
        let source = dir.join("map");
        std::fs::write(&source, "source").unwrap();
        let mut dups = Vec::new();
        let written = LmdbBackend
            .write(
                &source,
                &mut crate::maps::test_entries(pairs).into_iter(),
                policy,
                &mut |d| dups.push(d),
            )
            .unwrap();
        assert_eq!(written, dir.join("map.lmdb"));
        (source, dups)
    }

    #[test]
    fn round_trip_with_trailing_nuls_and_no_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let (source, dups) = build(
            dir.path(),
            &[("ab:cd", "host one"), ("ef:01", "two")],
            DuplicatePolicy::Warn,
        );
        assert!(dups.is_empty());
        let mut table = LmdbBackend.open(&source).unwrap();
        assert_eq!(table.get(b"ab:cd").unwrap(), Some(b"host one".to_vec()));
        assert_eq!(table.get(b"zz").unwrap(), None);
        assert_eq!(
            table.entries().unwrap(),
            vec![
                (b"ab:cd".to_vec(), b"host one".to_vec()),
                (b"ef:01".to_vec(), b"two".to_vec())
            ]
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with("-lock")), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with(".ccert-")), "{names:?}");
    }

    #[test]
    fn duplicate_policies() {
        let pairs = [("k", "first"), ("x", "y"), ("k", "second")];
        for (policy, expected) in [
            (DuplicatePolicy::Warn, "first"),
            (DuplicatePolicy::Ignore, "first"),
            (DuplicatePolicy::Replace, "second"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let (source, dups) = build(dir.path(), &pairs, policy);
            assert_eq!(
                dups,
                vec![Duplicate {
                    key: b"k".to_vec(),
                    line: 3
                }]
            );
            let mut table = LmdbBackend.open(&source).unwrap();
            assert_eq!(table.get(b"k").unwrap(), Some(expected.as_bytes().to_vec()));
        }
    }

    #[test]
    fn grows_the_map_when_full() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("t.lmdb");
        let file = File::create(&temp).unwrap();
        // Estimate 0: the map starts at 16 MiB and must grow for 60 MB.
        let mut builder = Builder::open(&temp, &temp, 0, file).unwrap();
        let big = "v".repeat(3000);
        let mut batch = Batch::default();
        for i in 0..20_000 {
            batch.push(format!("key{i:06}").as_bytes(), big.as_bytes());
        }
        builder.append(&batch).unwrap();
        builder.close();
        let mut table = LmdbTable::open(&temp).unwrap();
        assert_eq!(table.get(b"key019999").unwrap(), Some(big.into_bytes()));
        assert_eq!(table.entries().unwrap().len(), 20_000);
    }

    #[test]
    fn merges_spilled_runs_with_duplicates_across_them() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        // Keys repeat every 700 records, so duplicates span runs.
        let input: Vec<(String, String)> = (0..3000)
            .map(|i| (format!("k{:04}", (i * 7919) % 700), format!("v{i}")))
            .collect();
        for policy in [DuplicatePolicy::Warn, DuplicatePolicy::Replace] {
            let mut dups = Vec::new();
            let mut entries = input.iter().enumerate().map(|(i, (k, v))| {
                Ok(Entry {
                    key: k.clone().into_bytes(),
                    value: v.clone().into_bytes(),
                    line: i + 1,
                })
            });
            write_table(&source, &mut entries, policy, &mut |d| dups.push(d), 1000).unwrap();
            assert_eq!(dups.len(), 3000 - 700);
            assert!(dups.windows(2).all(|w| w[0].line < w[1].line));
            let mut table = LmdbBackend.open(&source).unwrap();
            let stored = table.entries().unwrap();
            assert_eq!(stored.len(), 700);
            for (key, value) in stored {
                let key = String::from_utf8(key).unwrap();
                let lines: Vec<usize> = (0..3000).filter(|&i| input[i].0 == key).collect();
                let want = match policy {
                    DuplicatePolicy::Replace => *lines.last().unwrap(),
                    _ => lines[0],
                };
                assert_eq!(String::from_utf8(value).unwrap(), format!("v{want}"));
            }
        }
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no spill files left behind");
    }

    #[test]
    fn long_key_is_an_error_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        let long = "a".repeat(511);
        let err = LmdbBackend
            .write(
                &source,
                &mut crate::maps::test_entries(&[("ok", "1"), (&long, "2")]).into_iter(),
                DuplicatePolicy::Warn,
                &mut |_| {},
            )
            .unwrap_err();
        assert!(matches!(err, MapError::Entry { line: 2, .. }), "{err}");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the source remains");
    }

    #[test]
    fn truncated_and_garbage_files_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let (source, _) = build(dir.path(), &[("a", "b")], DuplicatePolicy::Warn);
        let table = dir.path().join("map.lmdb");
        let bytes = std::fs::read(&table).unwrap();
        std::fs::write(&table, &bytes[..bytes.len() - 4096]).unwrap();
        assert!(matches!(
            LmdbBackend.open(&source).err().unwrap(),
            MapError::Corrupt { .. }
        ));
        std::fs::write(&table, b"garbage").unwrap();
        assert!(matches!(
            LmdbBackend.open(&source).err().unwrap(),
            MapError::Corrupt { .. }
        ));
        std::fs::write(&table, b"").unwrap();
        assert!(matches!(
            LmdbBackend.open(&source).err().unwrap(),
            MapError::Corrupt { .. }
        ));
    }

    #[test]
    fn meta_pages_with_different_page_sizes_are_corrupt() {
        // Found by the lmdb_reader fuzz target: the newer meta page says
        // page size 0xFFFF0F00; liblmdb then died of SIGBUS.
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "source").unwrap();
        std::fs::write(
            dir.path().join("map.lmdb"),
            include_bytes!("../../fixtures/fuzz/lmdb-meta-page-size.lmdb"),
        )
        .unwrap();
        let err = LmdbBackend.open(&source).err().unwrap();
        assert!(
            matches!(&err, MapError::Corrupt { message, .. } if message.contains("page size")),
            "{err}"
        );
    }
}

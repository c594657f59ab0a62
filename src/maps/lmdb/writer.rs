//! The `lmdb:` writer: entries sorted (in memory or in spilled runs),
//! duplicates resolved on the sorted stream, unique keys appended with
//! `MDB_APPEND` in batches, each in one write transaction (see [`super`]).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use heed::types::Bytes;
use heed::{Database, Env, EnvFlags, EnvOpenOptions, MdbError, PutFlags};

use super::super::io_err;
use super::super::prepare::{Duplicate, DuplicatePolicy};
use super::super::sorted::{SortedFill, Span, build_one};
use super::super::table_file::{NewTable, ReaderLock};
use super::super::{Entry, MapError, MapType, writeback};
use super::{BATCH_BYTES, MAX_KEY_SIZE, MIN_MAP_SIZE};
/// [`LmdbBackend::write`], spilling a sorted run every `run_bytes`.
pub(super) fn write_table(
    source: &Path,
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    policy: DuplicatePolicy,
    duplicate: &mut dyn FnMut(Duplicate),
    run_bytes: usize,
) -> Result<PathBuf, MapError> {
    let fill = Box::new(LmdbFill::begin(source)?);
    build_one(fill, entries, policy, duplicate, run_bytes)
}

/// A new table being filled in key order (see `SortedBuild`): the unique
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
    items: Vec<Span>,
}

impl Batch {
    /// Adds a key and value, appending their NULs.
    fn push(&mut self, key: &[u8], value: &[u8]) {
        self.items
            .push(Span::push(&mut self.data, key, value, b"\0"));
    }

    fn key(&self, item: &Span) -> &[u8] {
        item.key(&self.data)
    }

    fn value(&self, item: &Span) -> &[u8] {
        item.value(&self.data)
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
        let page = crate::sys::page_size();
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
        self.unmap_read_pages()?;
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

    /// Drops the pages of the file LMDB's map has read so far.
    ///
    /// Each transaction reads the meta page, the tree's right edge (the
    /// root-to-leaf path `MDB_APPEND` extends) and free-list pages through
    /// LMDB's read-only file map, and the kernel maps cached neighbours of
    /// each page it faults in along with it (fault-around): about 170 KiB
    /// per transaction, measured. Those file pages count in the process's
    /// RSS and, at a new spot of the file every transaction, add up with the
    /// table's size: 55 MB of a 90 MB peak at 10M entries.
    /// Setting the map size again with no transaction active makes LMDB
    /// unmap and map the file anew, which releases them (the data stays in
    /// the page cache and the file); the next transaction maps only its
    /// own few pages back in.
    fn unmap_read_pages(&self) -> Result<(), MapError> {
        let env = self.env.as_ref().expect("open environment");
        // SAFETY: no transaction is active (the batch's was committed),
        // and nothing holds a pointer into the map between transactions.
        unsafe { env.resize(self.map_size) }.map_err(|e| backend_err(&self.target, e))
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

#[cfg(test)]
mod tests {
    use super::super::super::Table as _;
    use super::super::LmdbTable;
    use super::*;

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
}

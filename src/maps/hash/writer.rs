//! The bulk writer (docs/formats/hash.md#how-ccert-writes-a-table): streams
//! entries into hash partitions, sorts each partition into a run, then writes
//! the buckets in order.
//!
//! Layout: `nbuckets` (a power of two) bucket pages at pages `1..=nbuckets`
//! (bucket b on page 1 + b), then chained bucket pages and overflow pages in
//! allocation order. When `nbuckets` is at least the partition count, every
//! bucket lies in exactly one partition (`bucket & (partitions − 1) ==
//! partition`), so partitions are sorted one at a time and memory stays
//! bounded by one partition (about 1/256 of the data) plus fixed buffers;
//! smaller tables are sorted in one piece.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Mutex, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use super::func::func5;
use super::page::{
    DEFAULT_PAGESIZE, Item, Meta, PAGE_HEADER, encode_hash_page, encode_overflow_page, is_big,
    overflow_capacity, pair_size,
};
use super::spill::{self, Partition, Record, Spill};
use crate::maps::prepare::{Duplicate, DuplicatePolicy};
use crate::maps::{Entry, MapError};

/// Number of hash partitions the input is spread over.
pub const PARTITIONS: usize = 256;

/// Target average bucket fill when sizing the table, before rounding the
/// bucket count up to a power of two (so the real average lies between half
/// and all of it). Measured on 1M fingerprints: 1.0 gives 32,768 buckets,
/// 35 % of them with one chained page, a 181 MB file; 0.75 gives 65,536
/// buckets and 268 MB, which takes noticeably longer to write and fsync.
/// postmap's own file for the same input has 34,084 buckets, 11,033 chained
/// pages and 313 MB.
const TARGET_FILL: f64 = 1.0;

/// Coalesced writes are flushed once this many bytes are pending.
const WRITE_BATCH: usize = 1 << 20;

/// What building the table produced.
#[derive(Debug)]
pub struct Built {
    /// Duplicates dropped or replaced, in source-line order.
    pub duplicates: Vec<Duplicate>,
}

/// Entries handed to the spill thread at a time.
const BATCH: usize = 4096;

/// Bytes read from a sorted run at a time.
const RUN_READ: usize = 64 * 1024;

/// Builds a complete hash table in `file` (empty, freshly created) from
/// `entries`. Spill data goes into anonymous temp files in `spill_dir`.
///
/// 1. Spill: the caller's thread pulls entries (parsing the source) while a
///    helper hashes them into partitions by the low hash bits.
/// 2. Sort: two threads load one partition at a time, sort it by (bucket,
///    key, input position), resolve duplicates and append the survivors as a
///    sorted run to a second temp file.
/// 3. Lay out: buckets in increasing order, bucket `b` taken from run
///    `b mod partitions`, so bucket pages are written front to back in large
///    writes (the kernel then writes the file back quickly), with chained and
///    overflow pages in a second sequential stream after them.
///
/// Output is deterministic: page numbers are assigned in one thread, in bucket order.
pub fn build(
    file: &File,
    spill_dir: &Path,
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    policy: DuplicatePolicy,
) -> Result<Built, BuildError> {
    let pagesize = DEFAULT_PAGESIZE as usize;
    let (spill, pair_bytes) = spill_all(spill_dir, entries, pagesize)?;
    let nbuckets = bucket_count(pair_bytes, pagesize);
    let mask = nbuckets - 1;
    let (spill_file, parts) = spill.into_parts();
    // Groups of partitions whose buckets are disjoint: one partition each when
    // there are at least as many buckets as partitions, else all together.
    let nparts = parts.len() as u32;
    let groups: Vec<Vec<Partition>> = if nbuckets < nparts {
        vec![parts]
    } else {
        parts.into_iter().map(|p| vec![p]).collect()
    };
    let runs = RunFile {
        file: tempfile::tempfile_in(spill_dir)?,
        len: Mutex::new(0),
    };
    let sorted = sort_groups(groups, spill_file.as_ref(), &runs, mask, policy)?;
    drop(spill_file);

    let mut layout = Layout {
        buckets: PageSink::new(file, pagesize),
        extra: PageSink::new(file, pagesize),
        pagesize,
        next_free: u64::from(nbuckets) + 1,
    };
    let mut readers: Vec<RunReader<'_>> = sorted
        .spans
        .iter()
        .map(|&(_, (offset, len))| RunReader::new(&runs.file, offset, len))
        .collect();
    let reader_mask = readers.len() - 1;
    let mut bucket_bytes = Vec::new();
    for b in 0..nbuckets {
        bucket_bytes.clear();
        readers[b as usize & reader_mask].take_bucket(b, mask, &mut bucket_bytes)?;
        let recs = spill::records(&bucket_bytes)?;
        layout.bucket(b, &recs)?;
    }
    layout.buckets.flush()?;
    layout.extra.flush()?;

    let mut meta = Meta::fresh(nbuckets, DEFAULT_PAGESIZE);
    let last_pgno = layout.next_free - 1;
    meta.last_pgno = u32::try_from(last_pgno).map_err(|_| BuildError::TooBig)?;
    meta.nelem = u32::try_from(sorted.records).unwrap_or(u32::MAX);
    meta.uid = file_id(file)?;
    let mut page = vec![0u8; pagesize];
    meta.encode(&mut page);
    file.write_all_at(&page, 0)?;
    file.set_len((last_pgno + 1) * pagesize as u64)?;
    let mut duplicates = sorted.duplicates;
    duplicates.sort_by_key(|(seq, _)| *seq);
    Ok(Built {
        duplicates: duplicates.into_iter().map(|(_, d)| d).collect(),
    })
}

/// The second temp file: sorted, de-duplicated runs, appended by several threads.
struct RunFile {
    file: File,
    len: Mutex<u64>,
}

impl RunFile {
    /// Appends `bytes`, returning where they went.
    fn append(&self, bytes: &[u8]) -> io::Result<(u64, u64)> {
        let offset = {
            let mut len = self.len.lock().unwrap_or_else(|e| e.into_inner());
            let at = *len;
            *len += bytes.len() as u64;
            at
        };
        self.file.write_all_at(bytes, offset)?;
        Ok((offset, bytes.len() as u64))
    }
}

/// `(offset, length)` of a run in the run file.
type Span = (u64, u64);

/// What the sort stage produced.
struct Sorted {
    /// Group number and `(offset, length)` of its run in the run file, in group order.
    spans: Vec<(usize, Span)>,
    /// Records kept.
    records: u64,
    /// Duplicates dropped or replaced, with their input position.
    duplicates: Vec<(u64, Duplicate)>,
}

/// Sorts every group into a run, on two threads.
fn sort_groups(
    groups: Vec<Vec<Partition>>,
    spill: Option<&File>,
    runs: &RunFile,
    mask: u32,
    policy: DuplicatePolicy,
) -> io::Result<Sorted> {
    let count = groups.len();
    let jobs: Vec<Mutex<Option<Vec<Partition>>>> =
        groups.into_iter().map(|g| Mutex::new(Some(g))).collect();
    let next = AtomicUsize::new(0);
    let work = || -> io::Result<Sorted> {
        let mut spans = Vec::new();
        let mut records = 0;
        let mut duplicates = Vec::new();
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, AtomicOrdering::Relaxed);
            if i >= count {
                return Ok(Sorted {
                    spans,
                    records,
                    duplicates,
                });
            }
            let parts = jobs[i]
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            let mut bytes = Vec::new();
            for part in parts {
                let more = part.load(spill)?;
                if bytes.is_empty() {
                    bytes = more;
                } else {
                    bytes.extend_from_slice(&more);
                }
            }
            let recs = sort_records(spill::records(&bytes)?, mask);
            out.clear();
            records += dedupe(&recs, policy, &mut duplicates, |r| {
                spill::encode(&mut out, r)
            });
            spans.push((i, runs.append(&out)?));
        }
    };
    let (a, b) = std::thread::scope(|s| {
        let helper = s.spawn(work);
        let mine = work();
        let theirs = helper
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (mine, theirs)
    });
    let (mut a, b) = (a?, b?);
    a.spans.extend(b.spans);
    a.spans.sort_by_key(|(i, _)| *i);
    a.duplicates.extend(b.duplicates);
    a.records += b.records;
    Ok(a)
}

/// Sorts records by (bucket, key, input position). Sorts small keys
/// (bucket, first 8 key bytes, index) and compares whole keys only on a tie,
/// which is much faster than sorting the records themselves.
fn sort_records(recs: Vec<Record<'_>>, mask: u32) -> Vec<Record<'_>> {
    // Zero padding keeps the prefix order consistent with the byte-wise order
    // of whole keys (a shorter key sorts first on a common prefix).
    let prefix = |key: &[u8]| {
        let mut b = [0u8; 8];
        let n = key.len().min(8);
        b[..n].copy_from_slice(&key[..n]);
        u64::from_be_bytes(b)
    };
    let mut keys: Vec<(u32, u64, u32)> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.hash & mask, prefix(r.key), i as u32))
        .collect();
    keys.sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
            let (ra, rb) = (&recs[a.2 as usize], &recs[b.2 as usize]);
            ra.key.cmp(rb.key).then(ra.seq.cmp(&rb.seq))
        })
    });
    keys.iter().map(|k| recs[k.2 as usize]).collect()
}

/// Resolves runs of equal keys in `sorted` (sorted by key, then input
/// position) by the policy, passing each survivor to `keep` in order and
/// recording the dropped or replaced ones. Returns the number kept.
fn dedupe<'a>(
    sorted: &[Record<'a>],
    policy: DuplicatePolicy,
    duplicates: &mut Vec<(u64, Duplicate)>,
    mut keep: impl FnMut(&Record<'a>),
) -> u64 {
    let mut kept = 0;
    let mut i = 0;
    while i < sorted.len() {
        let run = sorted[i..]
            .iter()
            .take_while(|r| r.key == sorted[i].key)
            .count();
        let group = &sorted[i..i + run];
        match policy {
            DuplicatePolicy::Replace => keep(&group[run - 1]),
            DuplicatePolicy::Ignore => keep(&group[0]),
            DuplicatePolicy::Warn => {
                keep(&group[0]);
                for dup in &group[1..] {
                    let key = dup.key[..dup.key.len() - 1].to_vec();
                    let line = usize::try_from(dup.line).unwrap_or(usize::MAX);
                    duplicates.push((dup.seq, Duplicate { key, line }));
                }
            }
        }
        kept += 1;
        i += run;
    }
    kept
}

/// Reads one sorted run front to back, a bucket at a time.
struct RunReader<'f> {
    file: &'f File,
    /// Next file offset to read.
    pos: u64,
    /// End of the run in the file.
    end: u64,
    buf: Vec<u8>,
    /// Consumed bytes at the front of `buf`.
    start: usize,
}

impl<'f> RunReader<'f> {
    fn new(file: &'f File, offset: u64, len: u64) -> Self {
        Self {
            file,
            pos: offset,
            end: offset + len,
            buf: Vec::new(),
            start: 0,
        }
    }

    /// Makes at least `n` unconsumed bytes available if the run has them;
    /// returns how many there are.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        if self.buf.len() - self.start >= n || self.pos == self.end {
            return Ok(self.buf.len() - self.start);
        }
        self.buf.drain(..self.start);
        self.start = 0;
        let want = (n - self.buf.len()).max(RUN_READ) as u64;
        let len = want.min(self.end - self.pos) as usize;
        let old = self.buf.len();
        self.buf.resize(old + len, 0);
        self.file.read_exact_at(&mut self.buf[old..], self.pos)?;
        self.pos += len as u64;
        Ok(self.buf.len())
    }

    /// Appends the records of `bucket` (the next ones in the run) to `out`.
    fn take_bucket(&mut self, bucket: u32, mask: u32, out: &mut Vec<u8>) -> io::Result<()> {
        const HEADER: usize = 28;
        loop {
            if self.fill(HEADER)? < HEADER {
                return Ok(());
            }
            let head = &self.buf[self.start..self.start + HEADER];
            let hash = u32::from_le_bytes(head[0..4].try_into().expect("4 bytes"));
            if hash & mask != bucket {
                return Ok(());
            }
            let klen = u32::from_le_bytes(head[20..24].try_into().expect("4 bytes")) as usize;
            let vlen = u32::from_le_bytes(head[24..28].try_into().expect("4 bytes")) as usize;
            let total = HEADER + klen + vlen;
            if self.fill(total)? < total {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "sorted run truncated",
                ));
            }
            out.extend_from_slice(&self.buf[self.start..self.start + total]);
            self.start += total;
        }
    }
}

/// Streams the entries into the spill, hashing them on a helper thread.
/// Returns the spill and the bytes all pairs would take on hash pages.
fn spill_all(
    dir: &Path,
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    pagesize: usize,
) -> Result<(Spill, u64), BuildError> {
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Vec<Entry>>(4);
        // Spent batches go back to the caller's thread to be freed there: the
        // allocator then reuses their memory for the next entries instead of
        // both threads fighting over one heap.
        let (back_tx, back_rx) = mpsc::channel::<Vec<Entry>>();
        let worker = s.spawn(move || -> io::Result<(Spill, u64)> {
            let mut spill = Spill::new(dir, PARTITIONS);
            let mut pair_bytes = 0u64;
            let mut seq = 0u64;
            let mut hashes = Vec::with_capacity(BATCH);
            for batch in rx {
                hashes.clear();
                func5_nul_batch(&batch, &mut hashes);
                for (e, &hash) in batch.iter().zip(&hashes) {
                    spill.push(hash, seq, e.line as u64, &e.key, &e.value)?;
                    pair_bytes += pair_size(e.key.len() + 1, e.value.len() + 1, pagesize) as u64;
                    seq += 1;
                }
                let _ = back_tx.send(batch);
            }
            Ok((spill, pair_bytes))
        });
        let mut failed = None;
        let mut batch = Vec::with_capacity(BATCH);
        for entry in entries {
            match entry {
                Ok(e) => {
                    batch.push(e);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if tx.send(full).is_err() {
                            break; // the worker failed; its error is reported below
                        }
                        for spent in back_rx.try_iter() {
                            drop(spent);
                        }
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if failed.is_none() && !batch.is_empty() {
            let _ = tx.send(batch);
        }
        drop(tx);
        let spilled = worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        drop(back_rx);
        match failed {
            Some(e) => Err(BuildError::Entry(e)),
            None => spilled.map_err(BuildError::Io),
        }
    })
}

/// `func5(key + NUL)` of every entry, four keys at a time: the hash is one
/// long chain of dependent multiplies, so interleaving four independent
/// chains lets the CPU overlap them (about 3x faster than one by one).
fn func5_nul_batch(batch: &[Entry], out: &mut Vec<u32>) {
    const PRIME: u32 = 16_777_619;
    let mut chunks = batch.chunks_exact(4);
    for c in chunks.by_ref() {
        let keys = [&c[0].key[..], &c[1].key[..], &c[2].key[..], &c[3].key[..]];
        let common = keys.iter().map(|k| k.len()).min().unwrap_or(0);
        let mut h = [0u32; 4];
        let columns = keys[0][..common]
            .iter()
            .zip(&keys[1][..common])
            .zip(&keys[2][..common])
            .zip(&keys[3][..common]);
        for (((&a, &b), &c), &d) in columns {
            h[0] = h[0].wrapping_mul(PRIME) ^ u32::from(a);
            h[1] = h[1].wrapping_mul(PRIME) ^ u32::from(b);
            h[2] = h[2].wrapping_mul(PRIME) ^ u32::from(c);
            h[3] = h[3].wrapping_mul(PRIME) ^ u32::from(d);
        }
        for lane in 0..4 {
            for &b in &keys[lane][common..] {
                h[lane] = h[lane].wrapping_mul(PRIME) ^ u32::from(b);
            }
            // The trailing NUL: one more multiply, xor 0 changes nothing.
            out.push(h[lane].wrapping_mul(PRIME));
        }
    }
    for e in chunks.remainder() {
        out.push(func5(&e.key).wrapping_mul(PRIME));
    }
}

/// Why building failed.
#[derive(Debug)]
pub enum BuildError {
    /// Reading the entries failed.
    Entry(MapError),
    /// Writing the table or a spill file failed.
    Io(io::Error),
    /// More pages than a hash database can number.
    TooBig,
}

impl From<io::Error> for BuildError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Smallest power of two ≥ 2 with buckets at most [`TARGET_FILL`] full on average.
pub fn bucket_count(pair_bytes: u64, pagesize: usize) -> u32 {
    let per_bucket = (pagesize - PAGE_HEADER) as f64 * TARGET_FILL;
    let want = (pair_bytes as f64 / per_bucket).ceil().max(2.0);
    let want = want.min(f64::from(1u32 << 31)) as u32;
    want.next_power_of_two()
}

/// A 20-byte file id (`ino dev time pid 0`), unique enough for the private
/// environments Postfix opens each table in.
fn file_id(file: &File) -> io::Result<[u8; 20]> {
    let meta = file.metadata()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u32)
        .unwrap_or(0);
    let mut uid = [0u8; 20];
    uid[0..4].copy_from_slice(&(meta.ino() as u32).to_le_bytes());
    uid[4..8].copy_from_slice(&(meta.dev() as u32).to_le_bytes());
    uid[8..12].copy_from_slice(&now.to_le_bytes());
    uid[12..16].copy_from_slice(&std::process::id().to_le_bytes());
    Ok(uid)
}

struct Layout<'f> {
    /// Bucket pages 1..=nbuckets, written in order.
    buckets: PageSink<'f>,
    /// Chained bucket pages and overflow pages, numbered after the buckets in
    /// allocation order.
    extra: PageSink<'f>,
    pagesize: usize,
    next_free: u64,
}

impl Layout<'_> {
    fn alloc(&mut self, pages: u64) -> u32 {
        let first = self.next_free;
        self.next_free += pages;
        // Checked by the caller through `last_pgno`; page numbers wrap only
        // past 2^32 pages, where build() reports TooBig.
        first as u32
    }

    /// Writes one bucket: its pages in key order, chained when full.
    fn bucket(&mut self, bucket: u32, pairs: &[Record<'_>]) -> io::Result<()> {
        let ps = self.pagesize;
        let room = ps - PAGE_HEADER;
        // Split the sorted pairs into pages.
        let mut bounds = vec![0usize];
        let mut used = 0;
        for (i, r) in pairs.iter().enumerate() {
            let size = pair_size(r.key.len(), r.value.len(), ps);
            if used + size > room && used > 0 {
                bounds.push(i);
                used = 0;
            }
            used += size;
        }
        bounds.push(pairs.len());
        let npages = bounds.len() - 1;
        let mut pgnos = Vec::with_capacity(npages);
        pgnos.push(bucket + 1);
        if npages > 1 {
            let first = self.alloc(npages as u64 - 1);
            pgnos.extend((0..npages as u32 - 1).map(|i| first + i));
        }
        let mut page = vec![0u8; ps];
        for (i, w) in bounds.windows(2).enumerate() {
            let mut items = Vec::with_capacity(2 * (w[1] - w[0]));
            for r in &pairs[w[0]..w[1]] {
                items.push(self.item(r.key)?);
                items.push(self.item(r.value)?);
            }
            let prev = if i == 0 { 0 } else { pgnos[i - 1] };
            let next = pgnos.get(i + 1).copied().unwrap_or(0);
            encode_hash_page(&mut page, pgnos[i], prev, next, &items);
            let sink = if i == 0 {
                &mut self.buckets
            } else {
                &mut self.extra
            };
            sink.write(pgnos[i], &page)?;
        }
        Ok(())
    }

    /// The page item for stored bytes, writing an overflow chain for big ones.
    fn item<'a>(&mut self, bytes: &'a [u8]) -> io::Result<Item<'a>> {
        let ps = self.pagesize;
        if !is_big(bytes.len(), ps) {
            return Ok(Item::Inline(bytes));
        }
        let cap = overflow_capacity(ps);
        let chunks = bytes.len().div_ceil(cap) as u32;
        let first = self.alloc(u64::from(chunks));
        let mut page = vec![0u8; ps];
        for (i, chunk) in bytes.chunks(cap).enumerate() {
            let i = i as u32;
            let prev = if i == 0 { 0 } else { first + i - 1 };
            let next = if i + 1 == chunks { 0 } else { first + i + 1 };
            encode_overflow_page(&mut page, first + i, prev, next, chunk);
            self.extra.write(first + i, &page)?;
        }
        Ok(Item::OffPage {
            pgno: first,
            tlen: bytes.len() as u32,
        })
    }
}

/// Collects page writes and issues them as few large positional writes.
struct PageSink<'f> {
    file: &'f File,
    pagesize: usize,
    start: u64,
    buf: Vec<u8>,
}

impl<'f> PageSink<'f> {
    fn new(file: &'f File, pagesize: usize) -> Self {
        Self {
            file,
            pagesize,
            start: 0,
            buf: Vec::with_capacity(WRITE_BATCH + pagesize),
        }
    }

    fn write(&mut self, pgno: u32, page: &[u8]) -> io::Result<()> {
        let pending = (self.buf.len() / self.pagesize) as u64;
        if !self.buf.is_empty()
            && (u64::from(pgno) != self.start + pending || self.buf.len() >= WRITE_BATCH)
        {
            self.flush()?;
        }
        if self.buf.is_empty() {
            self.start = u64::from(pgno);
        }
        self.buf.extend_from_slice(page);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let offset = self.start * self.pagesize as u64;
            self.file.write_all_at(&self.buf, offset)?;
            // Early writeback (a hint): the final fsync has little left to do.
            crate::maps::writeback::start(self.file, offset, self.buf.len() as u64);
            self.buf.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::log2_ceil;
    use super::*;

    #[test]
    fn batch_hash_equals_func5_of_key_and_nul() {
        let entries: Vec<Entry> = (0..11)
            .map(|i| Entry {
                key: "k".repeat(i * 3).into_bytes(),
                value: Vec::new(),
                line: i,
            })
            .collect();
        let mut got = Vec::new();
        func5_nul_batch(&entries, &mut got);
        let want: Vec<u32> = entries
            .iter()
            .map(|e| func5(&[&e.key[..], b"\0"].concat()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn bucket_count_is_a_power_of_two_at_least_two() {
        assert_eq!(bucket_count(0, 4096), 2);
        assert_eq!(bucket_count(100, 4096), 2);
        // 1M fingerprints of ~127 pair bytes → 31,2xx buckets wanted → 32,768.
        assert_eq!(bucket_count(127_000_000, 4096), 32_768);
        assert!(log2_ceil(bucket_count(10_000_000, 4096)) < 32);
    }
}

//! The bulk writer: streams entries into hash partitions, then lays out one
//! partition's buckets at a time (shared doc §5.7).
//!
//! Layout: `nbuckets` (a power of two) bucket pages at pages `1..=nbuckets`
//! (bucket b on page 1 + b), then chained bucket pages and overflow pages in
//! allocation order. Because `nbuckets` is at least the partition count when
//! partitions are processed one by one, every bucket lies in exactly one
//! partition (`bucket & (partitions − 1) == partition`).

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::func::func5;
use super::page::{
    DEFAULT_PAGESIZE, Item, Meta, PAGE_HEADER, encode_hash_page, encode_overflow_page, is_big,
    overflow_capacity, pair_size,
};
use super::spill::{self, Record, Spill};
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
    /// Records stored.
    pub records: u64,
    /// Duplicates dropped or replaced, in source-line order.
    pub duplicates: Vec<Duplicate>,
}

/// Entries handed to the spill thread at a time.
const BATCH: usize = 4096;

/// Builds a complete hash table in `file` (empty, freshly created) from
/// `entries`. Spill data goes into an anonymous temp file in `spill_dir`.
///
/// Two stages, each a two-thread pipeline: the caller's thread pulls entries
/// (parsing the source) while a helper hashes and spills them; then a helper
/// loads and sorts the next partition while the caller's thread lays out and
/// writes the current one. Output is deterministic: pages are numbered and
/// written in one thread, in partition order.
pub fn build(
    file: &File,
    spill_dir: &Path,
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    policy: DuplicatePolicy,
) -> Result<Built, BuildError> {
    let pagesize = DEFAULT_PAGESIZE as usize;
    let (mut spill, pair_bytes) = spill_all(spill_dir, entries, pagesize)?;
    let nbuckets = bucket_count(pair_bytes, pagesize);
    let mut meta = Meta::fresh(nbuckets, DEFAULT_PAGESIZE);
    let mut layout = Layout {
        sink: PageSink::new(file, pagesize),
        pagesize,
        next_free: u64::from(nbuckets) + 1,
        records: 0,
        duplicates: Vec::new(),
        policy,
    };
    // Groups of partitions whose buckets are disjoint: one partition each when
    // there are at least as many buckets as partitions, else all together.
    let parts = spill.count() as u32;
    let groups: Vec<Group> = if nbuckets < parts {
        vec![Group {
            parts: (0..parts).collect(),
            first: 0,
            step: 1,
            count: nbuckets,
        }]
    } else {
        (0..parts)
            .map(|p| Group {
                parts: vec![p],
                first: p,
                step: parts,
                count: nbuckets / parts,
            })
            .collect()
    };
    let mask = nbuckets - 1;
    std::thread::scope(|s| -> Result<(), BuildError> {
        let (tx, rx) = mpsc::sync_channel::<io::Result<Loaded>>(2);
        let jobs: Vec<Vec<u32>> = groups.iter().map(|g| g.parts.clone()).collect();
        let spill = &mut spill;
        s.spawn(move || {
            for parts in jobs {
                let loaded = load(spill, &parts, mask);
                let failed = loaded.is_err();
                if tx.send(loaded).is_err() || failed {
                    break;
                }
            }
        });
        for g in &groups {
            let loaded = rx
                .recv()
                .map_err(|_| io::Error::other("partition loader stopped"))??;
            layout.group(&loaded, mask, g.first, g.step, g.count)?;
        }
        Ok(())
    })?;
    let last_pgno = layout.next_free - 1;
    meta.last_pgno = u32::try_from(last_pgno).map_err(|_| BuildError::TooBig)?;
    meta.nelem = u32::try_from(layout.records).unwrap_or(u32::MAX);
    meta.uid = file_id(file)?;
    let mut page = vec![0u8; pagesize];
    meta.encode(&mut page);
    layout.sink.write(0, &page)?;
    layout.sink.flush()?;
    file.set_len((last_pgno + 1) * pagesize as u64)?;
    let mut duplicates = layout.duplicates;
    duplicates.sort_by_key(|(seq, _)| *seq);
    Ok(Built {
        records: layout.records,
        duplicates: duplicates.into_iter().map(|(_, d)| d).collect(),
    })
}

/// Partitions laid out together and the buckets they hold
/// (`first, first + step, …`, `count` of them).
struct Group {
    parts: Vec<u32>,
    first: u32,
    step: u32,
    count: u32,
}

/// A loaded group: its spilled bytes and the offsets of its records sorted by
/// (bucket, key, input position).
struct Loaded {
    bytes: Vec<u8>,
    order: Vec<usize>,
}

fn load(spill: &mut Spill, parts: &[u32], mask: u32) -> io::Result<Loaded> {
    let mut bytes = Vec::new();
    for &p in parts {
        let more = spill.take(p as usize)?;
        if bytes.is_empty() {
            bytes = more;
        } else {
            bytes.extend_from_slice(&more);
        }
    }
    let mut recs = spill::records(&bytes)?;
    recs.sort_unstable_by(|a, b| {
        (a.hash & mask)
            .cmp(&(b.hash & mask))
            .then_with(|| a.key.cmp(b.key))
            .then_with(|| a.seq.cmp(&b.seq))
    });
    let order = recs.iter().map(|r| r.at).collect();
    drop(recs);
    Ok(Loaded { bytes, order })
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
        let worker = s.spawn(move || -> io::Result<(Spill, u64)> {
            let mut spill = Spill::new(dir, PARTITIONS);
            let mut pair_bytes = 0u64;
            let mut seq = 0u64;
            for batch in rx {
                for e in batch {
                    // func5 of key + NUL: one more round with byte 0 (xor 0 is a no-op).
                    let hash = func5(&e.key).wrapping_mul(16_777_619);
                    spill.push(hash, seq, e.line as u64, &e.key, &e.value)?;
                    pair_bytes += pair_size(e.key.len() + 1, e.value.len() + 1, pagesize) as u64;
                    seq += 1;
                }
            }
            Ok((spill, pair_bytes))
        });
        let mut failed = None;
        let mut batch = Vec::with_capacity(BATCH);
        for entry in entries {
            match entry {
                Ok(e) => {
                    batch.push(e);
                    if batch.len() == BATCH
                        && tx
                            .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                            .is_err()
                    {
                        break; // the worker failed; its error is reported below
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
        match failed {
            Some(e) => Err(BuildError::Entry(e)),
            None => spilled.map_err(BuildError::Io),
        }
    })
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
    sink: PageSink<'f>,
    pagesize: usize,
    next_free: u64,
    records: u64,
    /// (input position, report) so reports can be put in source order.
    duplicates: Vec<(u64, Duplicate)>,
    policy: DuplicatePolicy,
}

impl Layout<'_> {
    /// Lays out the buckets `first, first + step, …` (`count` of them)
    /// whose records are all in `loaded`.
    fn group(
        &mut self,
        loaded: &Loaded,
        mask: u32,
        first: u32,
        step: u32,
        count: u32,
    ) -> io::Result<()> {
        let mut recs = Vec::with_capacity(loaded.order.len());
        for &at in &loaded.order {
            recs.push(spill::record_at(&loaded.bytes, at)?);
        }
        let mut kept: Vec<Record<'_>> = Vec::new();
        let mut rest = &recs[..];
        for i in 0..count {
            let bucket = first + i * step;
            let n = rest.iter().take_while(|r| r.hash & mask == bucket).count();
            let (mine, after) = rest.split_at(n);
            rest = after;
            kept.clear();
            self.dedupe(mine, &mut kept);
            self.bucket(bucket, &kept)?;
        }
        debug_assert!(rest.is_empty());
        Ok(())
    }

    /// Resolves runs of equal keys (sorted by input position) by the policy.
    fn dedupe<'a>(&mut self, sorted: &[Record<'a>], kept: &mut Vec<Record<'a>>) {
        let mut i = 0;
        while i < sorted.len() {
            let run = sorted[i..]
                .iter()
                .take_while(|r| r.key == sorted[i].key)
                .count();
            let group = &sorted[i..i + run];
            match self.policy {
                DuplicatePolicy::Replace => kept.push(group[run - 1]),
                DuplicatePolicy::Ignore => kept.push(group[0]),
                DuplicatePolicy::Warn => {
                    kept.push(group[0]);
                    for dup in &group[1..] {
                        let key = dup.key[..dup.key.len() - 1].to_vec();
                        let line = usize::try_from(dup.line).unwrap_or(usize::MAX);
                        self.duplicates.push((dup.seq, Duplicate { key, line }));
                    }
                }
            }
            i += run;
        }
    }

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
        self.records += pairs.len() as u64;
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
            self.sink.write(pgnos[i], &page)?;
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
            self.sink.write(first + i, &page)?;
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
            self.file
                .write_all_at(&self.buf, self.start * self.pagesize as u64)?;
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
    fn bucket_count_is_a_power_of_two_at_least_two() {
        assert_eq!(bucket_count(0, 4096), 2);
        assert_eq!(bucket_count(100, 4096), 2);
        // 1M fingerprints of ~127 pair bytes → 31,2xx buckets wanted → 32,768.
        assert_eq!(bucket_count(127_000_000, 4096), 32_768);
        assert!(log2_ceil(bucket_count(10_000_000, 4096)) < 32);
    }
}

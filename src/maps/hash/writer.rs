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

/// Target average bucket fill when sizing the table (before rounding the
/// bucket count up to a power of two).
const TARGET_FILL: f64 = 0.75;

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

/// Builds a complete hash table in `file` (empty, freshly created) from
/// `entries`. Spill files go into `spill_dir`.
pub fn build(
    file: &File,
    spill_dir: &std::path::Path,
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    policy: DuplicatePolicy,
) -> Result<Built, BuildError> {
    let pagesize = DEFAULT_PAGESIZE as usize;
    let mut spill = Spill::new(spill_dir, PARTITIONS);
    let mut pair_bytes: u64 = 0;
    let mut seq: u64 = 0;
    for entry in entries {
        let entry = entry.map_err(BuildError::Entry)?;
        // func5 of key + NUL: one more round with byte 0 (xor 0 is a no-op).
        let hash = func5(&entry.key).wrapping_mul(16_777_619);
        spill.push(hash, seq, entry.line as u64, &entry.key, &entry.value)?;
        pair_bytes += pair_size(entry.key.len() + 1, entry.value.len() + 1, pagesize) as u64;
        seq += 1;
    }
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
    let parts = spill.count();
    if (nbuckets as usize) < parts {
        // Small table: all partitions together form one group of every bucket.
        let mut all = Vec::new();
        for p in 0..parts {
            all.extend_from_slice(&spill.take(p)?);
        }
        layout.group(&all, nbuckets, 0, 1, nbuckets)?;
    } else {
        let per_part = nbuckets / parts as u32;
        for p in 0..parts {
            let bytes = spill.take(p)?;
            layout.group(&bytes, nbuckets, p as u32, parts as u32, per_part)?;
        }
    }
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
    /// Lays out the buckets `first, first + step, …` (`count` of them) whose
    /// records are all in `bytes`.
    fn group(
        &mut self,
        bytes: &[u8],
        nbuckets: u32,
        first: u32,
        step: u32,
        count: u32,
    ) -> io::Result<()> {
        let mask = nbuckets - 1;
        let mut recs = spill::records(bytes)?;
        recs.sort_unstable_by(|a, b| {
            (a.hash & mask)
                .cmp(&(b.hash & mask))
                .then_with(|| a.key.cmp(b.key))
                .then_with(|| a.seq.cmp(&b.seq))
        });
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
        // 1M fingerprints of ~127 pair bytes → 41,6xx buckets wanted → 65,536.
        assert_eq!(bucket_count(127_000_000, 4096), 65_536);
        assert!(log2_ceil(bucket_count(10_000_000, 4096)) < 32);
    }
}

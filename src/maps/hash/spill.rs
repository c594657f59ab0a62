//! Partitioned spill file for the bulk writer, and the record format it and
//! the writer's sorted runs share.
//!
//! Records are spread over partitions by the low bits of their key hash. Each
//! partition buffers [`FLUSH_AT`] bytes, then appends the chunk to one shared
//! anonymous temp file (created in the table's directory, unlinked at once)
//! and remembers where it went, so the writer never holds the whole data set
//! and needs one temp file, not one per partition. Small tables never touch
//! the disk.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Buffered bytes per partition before they are appended to its temp file.
pub const FLUSH_AT: usize = 32 * 1024;

/// Fixed part of a spilled record: hash, seq, line, key length, value length.
const RECORD_HEADER: usize = 4 + 8 + 8 + 4 + 4;

/// One spilled record, borrowed from a loaded partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Offset of the record in its partition's bytes (see [`record_at`]).
    pub at: usize,
    /// `func5` of the stored key.
    pub hash: u32,
    /// Position in the input stream (0-based), to order duplicates.
    pub seq: u64,
    /// Source line.
    pub line: u64,
    /// Stored key (with its trailing NUL).
    pub key: &'a [u8],
    /// Stored value (with its trailing NUL).
    pub value: &'a [u8],
}

/// One partition: its chunks in the shared temp file and its buffered tail.
#[derive(Debug, Default)]
pub struct Partition {
    buf: Vec<u8>,
    /// `(offset, length)` of the chunks already in the temp file.
    chunks: Vec<(u64, usize)>,
}

impl Partition {
    /// Every byte of the partition (its chunks read from `file`, then its buffer).
    pub fn load(self, file: Option<&File>) -> io::Result<Vec<u8>> {
        let (Some(file), false) = (file, self.chunks.is_empty()) else {
            return Ok(self.buf);
        };
        let total: usize = self.chunks.iter().map(|c| c.1).sum::<usize>() + self.buf.len();
        let mut all = vec![0u8; total];
        let mut at = 0;
        for (offset, len) in self.chunks {
            file.read_exact_at(&mut all[at..at + len], offset)?;
            at += len;
        }
        all[at..].copy_from_slice(&self.buf);
        Ok(all)
    }
}

/// The set of partitions.
#[derive(Debug)]
pub struct Spill {
    dir: PathBuf,
    parts: Vec<Partition>,
    file: Option<File>,
    file_len: u64,
}

impl Spill {
    /// `count` partitions (a power of two) whose temp files go into `dir`.
    pub fn new(dir: &Path, count: usize) -> Self {
        debug_assert!(count.is_power_of_two());
        Self {
            dir: dir.to_path_buf(),
            parts: (0..count).map(|_| Partition::default()).collect(),
            file: None,
            file_len: 0,
        }
    }

    /// The number of partitions.
    pub fn count(&self) -> usize {
        self.parts.len()
    }

    /// Appends a record to partition `hash & (count − 1)`; `key` and `value`
    /// are stored with one NUL appended.
    pub fn push(
        &mut self,
        hash: u32,
        seq: u64,
        line: u64,
        key: &[u8],
        value: &[u8],
    ) -> io::Result<()> {
        let mask = self.parts.len() - 1;
        let part = &mut self.parts[hash as usize & mask];
        let buf = &mut part.buf;
        buf.extend_from_slice(&hash.to_le_bytes());
        buf.extend_from_slice(&seq.to_le_bytes());
        buf.extend_from_slice(&line.to_le_bytes());
        buf.extend_from_slice(&len32(key.len() + 1)?.to_le_bytes());
        buf.extend_from_slice(&len32(value.len() + 1)?.to_le_bytes());
        buf.extend_from_slice(key);
        buf.push(0);
        buf.extend_from_slice(value);
        buf.push(0);
        if buf.len() >= FLUSH_AT {
            let file = match &mut self.file {
                Some(f) => f,
                None => self.file.insert(tempfile::tempfile_in(&self.dir)?),
            };
            file.write_all_at(&part.buf, self.file_len)?;
            part.chunks.push((self.file_len, part.buf.len()));
            self.file_len += part.buf.len() as u64;
            part.buf.clear();
        }
        Ok(())
    }

    /// Takes every byte of partition `p`, releasing its memory.
    pub fn take(&mut self, p: usize) -> io::Result<Vec<u8>> {
        std::mem::take(&mut self.parts[p]).load(self.file.as_ref())
    }

    /// The shared temp file (if anything was spilled) and the partitions, so
    /// several threads can load partitions at once.
    pub fn into_parts(self) -> (Option<File>, Vec<Partition>) {
        (self.file, self.parts)
    }
}

/// Appends a record in spill format to `out` (`key` and `value` as stored, NULs included).
pub fn encode(out: &mut Vec<u8>, r: &Record<'_>) {
    out.extend_from_slice(&r.hash.to_le_bytes());
    out.extend_from_slice(&r.seq.to_le_bytes());
    out.extend_from_slice(&r.line.to_le_bytes());
    out.extend_from_slice(&(r.key.len() as u32).to_le_bytes());
    out.extend_from_slice(&(r.value.len() as u32).to_le_bytes());
    out.extend_from_slice(r.key);
    out.extend_from_slice(r.value);
}

fn len32(n: usize) -> io::Result<u32> {
    u32::try_from(n)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "key or value over 4 GiB"))
}

/// Parses the records of a partition's bytes (as written by [`Spill::push`]).
pub fn records(bytes: &[u8]) -> io::Result<Vec<Record<'_>>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rec = record_at(bytes, at)?;
        at += RECORD_HEADER + rec.key.len() + rec.value.len();
        out.push(rec);
    }
    Ok(out)
}

/// The record starting at offset `at` of a partition's bytes.
pub fn record_at(bytes: &[u8], at: usize) -> io::Result<Record<'_>> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "spill file truncated");
    let rest = bytes.get(at..).ok_or_else(bad)?;
    if rest.len() < RECORD_HEADER {
        return Err(bad());
    }
    let u32_at = |o: usize| u32::from_le_bytes(rest[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(rest[o..o + 8].try_into().expect("8 bytes"));
    let klen = u32_at(20) as usize;
    let vlen = u32_at(24) as usize;
    let body = &rest[RECORD_HEADER..];
    if body.len() < klen + vlen {
        return Err(bad());
    }
    Ok(Record {
        at,
        hash: u32_at(0),
        seq: u64_at(4),
        line: u64_at(12),
        key: &body[..klen],
        value: &body[klen..klen + vlen],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_memory_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::new(dir.path(), 4);
        let big = vec![b'v'; FLUSH_AT];
        spill.push(5, 0, 1, b"k1", b"v1").unwrap(); // partition 1, then flushed
        spill.push(1, 1, 2, b"k2", &big).unwrap();
        spill.push(9, 2, 3, b"k3", b"").unwrap(); // stays buffered
        spill.push(2, 3, 4, b"k4", b"v4").unwrap(); // partition 2
        let one = spill.take(1).unwrap();
        let recs = records(&one).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(
            (recs[0].hash, recs[0].key, recs[0].value),
            (5, &b"k1\0"[..], &b"v1\0"[..])
        );
        assert_eq!(recs[1].value.len(), FLUSH_AT + 1);
        assert_eq!(
            (recs[2].seq, recs[2].line, recs[2].value),
            (2, 3, &b"\0"[..])
        );
        assert_eq!(records(&spill.take(2).unwrap()).unwrap().len(), 1);
        assert!(spill.take(0).unwrap().is_empty());
        assert!(records(&[1, 2, 3]).is_err());
    }
}

//! The cdb writer, with memory that does not grow with the table.
//!
//! Records go to the table file in source order as they arrive. What the
//! hash tables need of each record (hash, position, source line: 12 bytes) is
//! spilled to one of 16 unnamed temp files, chosen by the hash's low byte, so
//! at the end the tables can be built group by group (tables `16g..16g+15`
//! from spill file `g`). Duplicate keys have equal hashes, so they meet in the
//! same group: they are found there (comparing the keys in the file), the
//! losing records are marked dead, and when there are any the live records
//! are copied into a fresh file, so the result holds exactly what tinycdb
//! and postmap write for the same input: each table's records in the order
//! they were added, nothing dead.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{HEADER, cdb_hash, io_err};
use crate::fsutil;
use crate::maps::prepare::{Duplicate, DuplicatePolicy};
use crate::maps::{Entry, MapError, writeback};

/// Spill files; group `g` holds the slots of tables `16g..16g+15`.
const GROUPS: usize = 16;
/// Bytes of one spilled slot: hash, position, line (u32 each).
const SPILLED: usize = 12;

/// One record's entry for the hash tables.
#[derive(Clone, Copy)]
struct Slot {
    hash: u32,
    pos: u32,
    line: u32,
}

/// Streams records into the table file and builds the tables at the end.
pub(super) struct Writer {
    out: BufWriter<File>,
    path: PathBuf,
    end: u64,
    spills: Vec<BufWriter<File>>,
    /// Live records per table.
    counts: [u64; 256],
    /// Dead records (position, size), sorted by position.
    dead: Vec<(u32, u32)>,
    /// After [`Writer::compact`]: the dead bytes up to and including each
    /// dead record, by which the positions after it shift down.
    shifts: Vec<u32>,
    writeback: writeback::Tracker,
}

impl Writer {
    /// A writer into `file` (empty) for the table at `path`; the spill
    /// files are created unnamed in the table's directory.
    pub(super) fn new(file: File, path: &Path) -> io::Result<Self> {
        let dir = fsutil::parent_dir(path);
        let spills = (0..GROUPS)
            .map(|_| tempfile::tempfile_in(dir).map(|f| BufWriter::with_capacity(1 << 16, f)))
            .collect::<io::Result<_>>()?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0u8; HEADER as usize])?;
        Ok(Self {
            out,
            path: path.to_path_buf(),
            end: HEADER,
            spills,
            counts: [0; 256],
            dead: Vec::new(),
            shifts: Vec::new(),
            writeback: writeback::Tracker::default(),
        })
    }

    fn too_big(&self) -> MapError {
        MapError::Backend {
            path: self.path.clone(),
            message: "the table would exceed the 4 GiB limit of the cdb format; \
                      use lmdb or hash for this map"
                .into(),
        }
    }

    fn io(&self, e: io::Error) -> MapError {
        io_err(&self.path, e)
    }

    /// Appends a record (duplicates are resolved in [`Writer::resolve`]).
    pub(super) fn add(&mut self, entry: &Entry) -> Result<(), MapError> {
        let hash = cdb_hash(&entry.key);
        let pos = u32::try_from(self.end).map_err(|_| self.too_big())?;
        let klen = u32::try_from(entry.key.len()).map_err(|_| self.too_big())?;
        let vlen = u32::try_from(entry.value.len()).map_err(|_| self.too_big())?;
        self.end += 8 + u64::from(klen) + u64::from(vlen);
        if self.end > u64::from(u32::MAX) {
            return Err(self.too_big());
        }
        let out = &mut self.out;
        out.write_all(&klen.to_le_bytes())
            .and_then(|()| out.write_all(&vlen.to_le_bytes()))
            .and_then(|()| out.write_all(&entry.key))
            .and_then(|()| out.write_all(&entry.value))
            .map_err(|e| io_err(&self.path, e))?;
        let flushed = self.end - self.out.buffer().len() as u64;
        self.writeback.advance(self.out.get_ref(), flushed);
        let mut spilled = [0u8; SPILLED];
        spilled[..4].copy_from_slice(&hash.to_le_bytes());
        spilled[4..8].copy_from_slice(&pos.to_le_bytes());
        let line = u32::try_from(entry.line).unwrap_or(u32::MAX);
        spilled[8..].copy_from_slice(&line.to_le_bytes());
        let table = (hash & 255) as usize;
        self.spills[table / 16]
            .write_all(&spilled)
            .map_err(|e| io_err(&self.path, e))?;
        self.counts[table] += 1;
        Ok(())
    }

    /// The slots of spill group `g`, in the order the records were added.
    fn load(&mut self, g: usize) -> Result<Vec<Slot>, MapError> {
        self.spills[g].flush().map_err(|e| self.io(e))?;
        let file = self.spills[g].get_ref();
        let len = file.metadata().map_err(|e| self.io(e))?.len() as usize;
        let mut bytes = vec![0u8; len];
        file.read_exact_at(&mut bytes, 0).map_err(|e| self.io(e))?;
        let u32_at = |c: &[u8], at: usize| u32::from_le_bytes(c[at..at + 4].try_into().unwrap());
        Ok(bytes
            .chunks_exact(SPILLED)
            .map(|c| Slot {
                hash: u32_at(c, 0),
                pos: u32_at(c, 4),
                line: u32_at(c, 8),
            })
            .collect())
    }

    /// The key and total size of the record at `pos` (already written).
    fn record(&self, pos: u32) -> Result<(Vec<u8>, u32), MapError> {
        let file = self.out.get_ref();
        let mut head = [0u8; 8];
        file.read_exact_at(&mut head, u64::from(pos))
            .map_err(|e| self.io(e))?;
        let klen = u32::from_le_bytes(head[..4].try_into().unwrap());
        let vlen = u32::from_le_bytes(head[4..].try_into().unwrap());
        let mut key = vec![0u8; klen as usize];
        file.read_exact_at(&mut key, u64::from(pos) + 8)
            .map_err(|e| self.io(e))?;
        Ok((key, 8 + klen + vlen))
    }

    /// Finds duplicate keys: under `policy` the first record of a key stays
    /// (or, with `Replace`, the last); the others become dead. Returns every
    /// duplicate after the first occurrence, in source order.
    pub(super) fn resolve(&mut self, policy: DuplicatePolicy) -> Result<Vec<Duplicate>, MapError> {
        self.out.flush().map_err(|e| self.io(e))?;
        let mut dups = Vec::new();
        for g in 0..GROUPS {
            let slots = self.load(g)?;
            let mut order: Vec<u32> = (0..slots.len() as u32).collect();
            order.sort_unstable_by_key(|&i| (slots[i as usize].hash, i));
            for run in order.chunk_by(|&a, &b| slots[a as usize].hash == slots[b as usize].hash) {
                if run.len() > 1 {
                    self.resolve_run(&slots, run, policy, &mut dups)?;
                }
            }
        }
        self.dead.sort_unstable();
        dups.sort_by_key(|d: &Duplicate| d.line);
        Ok(dups)
    }

    /// Resolves the records of one hash value (`run`, in addition order).
    fn resolve_run(
        &mut self,
        slots: &[Slot],
        run: &[u32],
        policy: DuplicatePolicy,
        dups: &mut Vec<Duplicate>,
    ) -> Result<(), MapError> {
        let records = run
            .iter()
            .map(|&i| self.record(slots[i as usize].pos))
            .collect::<Result<Vec<_>, _>>()?;
        let mut done = vec![false; run.len()];
        for first in 0..run.len() {
            if done[first] {
                continue;
            }
            let same: Vec<usize> = (first..run.len())
                .filter(|&j| !done[j] && records[j].0 == records[first].0)
                .collect();
            let keep = if policy == DuplicatePolicy::Replace {
                *same.last().expect("holds first")
            } else {
                first
            };
            for &j in &same {
                done[j] = true;
                let slot = slots[run[j] as usize];
                if j != first {
                    dups.push(Duplicate {
                        key: records[j].0.clone(),
                        line: slot.line as usize,
                    });
                }
                if j != keep {
                    self.dead.push((slot.pos, records[j].1));
                    self.counts[(slot.hash & 255) as usize] -= 1;
                }
            }
        }
        Ok(())
    }

    /// Whether resolving left dead records behind.
    pub(super) fn has_dead(&self) -> bool {
        !self.dead.is_empty()
    }

    /// Copies the live records into `file` (empty), which becomes the table.
    pub(super) fn compact(mut self, file: File) -> Result<Self, MapError> {
        self.out.flush().map_err(|e| self.io(e))?;
        let old = self.out.get_ref().try_clone().map_err(|e| self.io(e))?;
        let mut fresh = BufWriter::with_capacity(1 << 20, file);
        fresh
            .write_all(&[0u8; HEADER as usize])
            .map_err(|e| self.io(e))?;
        let mut copy = |from: u64, to: u64| -> io::Result<()> {
            let mut input = &old;
            input.seek(SeekFrom::Start(from))?;
            io::copy(&mut input.take(to - from), &mut fresh).map(drop)
        };
        let mut cursor = HEADER;
        let mut dead_bytes = 0u32;
        let mut shifts = Vec::with_capacity(self.dead.len());
        for &(pos, size) in &self.dead {
            copy(cursor, u64::from(pos)).map_err(|e| io_err(&self.path, e))?;
            cursor = u64::from(pos) + u64::from(size);
            dead_bytes += size;
            shifts.push(dead_bytes);
        }
        copy(cursor, self.end).map_err(|e| io_err(&self.path, e))?;
        fresh.flush().map_err(|e| self.io(e))?;
        self.end -= u64::from(dead_bytes);
        self.out = fresh;
        self.shifts = shifts;
        Ok(self)
    }

    /// Whether the record at `pos` is dead.
    fn is_dead(&self, pos: u32) -> bool {
        !self.dead.is_empty() && self.dead.binary_search_by_key(&pos, |d| d.0).is_ok()
    }

    /// Where the (live) record written at `pos` is in the final file.
    fn final_pos(&self, pos: u32) -> u32 {
        match self.dead.partition_point(|d| d.0 < pos) {
            0 => pos,
            before => pos - self.shifts.get(before - 1).copied().unwrap_or(0),
        }
    }

    /// Writes the 256 hash tables and the header, then flushes.
    pub(super) fn finish(mut self) -> Result<(), MapError> {
        let mut header = [0u8; HEADER as usize];
        let mut pos = self.end;
        let mut table: Vec<(u32, u32)> = Vec::new();
        let mut bytes = Vec::new();
        for g in 0..GROUPS {
            let slots = self.load(g)?;
            for t in g * 16..g * 16 + 16 {
                let n = self.counts[t] as usize * 2;
                let at = u32::try_from(pos).map_err(|_| self.too_big())?;
                header[t * 8..t * 8 + 4].copy_from_slice(&at.to_le_bytes());
                header[t * 8 + 4..t * 8 + 8].copy_from_slice(&(n as u32).to_le_bytes());
                if n == 0 {
                    continue;
                }
                table.clear();
                table.resize(n, (0, 0));
                for slot in slots.iter().filter(|s| (s.hash & 255) as usize == t) {
                    if self.is_dead(slot.pos) {
                        continue;
                    }
                    let mut i = (slot.hash >> 8) as usize % n;
                    while table[i].1 != 0 {
                        i = (i + 1) % n;
                    }
                    table[i] = (slot.hash, self.final_pos(slot.pos));
                }
                bytes.clear();
                for (hash, at) in &table {
                    bytes.extend_from_slice(&hash.to_le_bytes());
                    bytes.extend_from_slice(&at.to_le_bytes());
                }
                self.out.write_all(&bytes).map_err(|e| self.io(e))?;
                pos += n as u64 * 8;
                if pos > u64::from(u32::MAX) {
                    return Err(self.too_big());
                }
            }
        }
        self.out.flush().map_err(|e| self.io(e))?;
        self.out
            .get_ref()
            .write_all_at(&header, 0)
            .map_err(|e| self.io(e))
    }
}

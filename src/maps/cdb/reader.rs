//! The `cdb:` reader: the file memory-mapped, every read checked against
//! the file's length and the record area (see [`super`]).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::super::mapped::Mapped;
use super::super::{MapError, Table, Visit};
use super::{HEADER, cdb_hash, io_err};

/// An open `cdb:` table, memory-mapped (see [`Mapped`]); every read is
/// checked against the file's length and the record area.
pub struct CdbTable {
    map: Mapped,
    file: File,
    path: PathBuf,
    header: Vec<(u32, u32)>,
    eod: u64,
}

impl CdbTable {
    /// Opens `path` (the `.cdb` file), checking the header against the file size.
    pub fn open(path: &Path) -> Result<Self, MapError> {
        let file = crate::fsutil::open_regular(path).map_err(|e| io_err(path, e))?;
        let len = file.metadata().map_err(|e| io_err(path, e))?.len();
        let corrupt = |message: String| MapError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        if len < HEADER {
            return Err(corrupt(format!(
                "{len} bytes, shorter than the 2048-byte cdb header"
            )));
        }
        let len = usize::try_from(len).map_err(|_| corrupt("too big to map".into()))?;
        let map = Mapped::new(&file, len).map_err(|e| io_err(path, e))?;
        let raw = map.get(0, HEADER).expect("the file holds the header");
        let header: Vec<(u32, u32)> = raw
            .chunks_exact(8)
            .map(|c| {
                (
                    u32::from_le_bytes(c[..4].try_into().unwrap()),
                    u32::from_le_bytes(c[4..].try_into().unwrap()),
                )
            })
            .collect();
        let len = len as u64;
        let eod = u64::from(header[0].0);
        if eod < HEADER || eod > len {
            return Err(corrupt(format!(
                "end of records {eod} outside the file ({len} bytes)"
            )));
        }
        for (t, &(pos, n)) in header.iter().enumerate() {
            let (pos, n) = (u64::from(pos), u64::from(n));
            if n > 0 && (pos < eod || pos + n * 8 > len) {
                return Err(corrupt(format!(
                    "hash table {t} ({n} slots at {pos}) outside the table area"
                )));
            }
        }
        Ok(Self {
            map,
            file,
            path: path.to_path_buf(),
            header,
            eod,
        })
    }

    fn corrupt(&self, message: String) -> MapError {
        MapError::Corrupt {
            path: self.path.clone(),
            message,
        }
    }

    fn u32_at(&self, pos: u64) -> Result<u32, MapError> {
        let bytes = self
            .map
            .get(pos, 4)
            .ok_or_else(|| self.corrupt(format!("position {pos} outside the file")))?;
        Ok(u32::from_le_bytes(bytes.try_into().unwrap()))
    }

    /// The key and value of the record at `pos`, checked to lie in the
    /// record area.
    fn record(&self, pos: u64) -> Result<(&[u8], &[u8]), MapError> {
        if pos < HEADER || pos + 8 > self.eod {
            return Err(self.corrupt(format!("record position {pos} out of range")));
        }
        let klen = u64::from(self.u32_at(pos)?);
        let vlen = u64::from(self.u32_at(pos + 4)?);
        if pos + 8 + klen + vlen > self.eod {
            return Err(self.corrupt(format!("record at {pos} runs past the records")));
        }
        let key = self.map.get(pos + 8, klen).expect("inside the record area");
        let value = self
            .map
            .get(pos + 8 + klen, vlen)
            .expect("inside the record area");
        Ok((key, value))
    }

    fn find(&self, key: &[u8]) -> Result<Option<&[u8]>, MapError> {
        let hash = cdb_hash(key);
        let (tpos, n) = self.header[(hash & 255) as usize];
        let (tpos, n) = (u64::from(tpos), u64::from(n));
        if n == 0 {
            return Ok(None);
        }
        let start = u64::from(hash >> 8) % n;
        for i in 0..n {
            let at = tpos + ((start + i) % n) * 8;
            let shash = self.u32_at(at)?;
            let spos = u64::from(self.u32_at(at + 4)?);
            if spos == 0 {
                return Ok(None);
            }
            if shash != hash {
                continue;
            }
            let (k, v) = self.record(spos)?;
            if k == key {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }
}

impl Table for CdbTable {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, MapError> {
        let mut with_nul = key.to_vec();
        with_nul.push(0);
        for candidate in [&with_nul[..], key] {
            if let Some(value) = self.find(candidate)? {
                return Ok(Some(value.strip_suffix(&[0]).unwrap_or(value).to_vec()));
            }
        }
        Ok(None)
    }

    fn for_each_entry(&mut self, visit: &mut Visit<'_>) -> Result<(), MapError> {
        // Read in order through a buffer rather than through the map, so a
        // dump does not pull the whole table into this process's memory.
        let mut pos = HEADER;
        let (mut key, mut value) = (Vec::new(), Vec::new());
        let mut input = BufReader::with_capacity(1 << 20, &self.file);
        input
            .seek(SeekFrom::Start(HEADER))
            .map_err(|e| io_err(&self.path, e))?;
        while pos < self.eod {
            if pos + 8 > self.eod {
                return Err(self.corrupt(format!("record position {pos} out of range")));
            }
            let mut head = [0u8; 8];
            input
                .read_exact(&mut head)
                .map_err(|e| io_err(&self.path, e))?;
            let klen = u64::from(u32::from_le_bytes(head[..4].try_into().unwrap()));
            let vlen = u64::from(u32::from_le_bytes(head[4..].try_into().unwrap()));
            if pos + 8 + klen + vlen > self.eod {
                return Err(self.corrupt(format!("record at {pos} runs past the records")));
            }
            key.resize(klen as usize, 0);
            value.resize(vlen as usize, 0);
            input
                .read_exact(&mut key)
                .and_then(|()| input.read_exact(&mut value))
                .map_err(|e| io_err(&self.path, e))?;
            let strip = |b: &[u8]| b.strip_suffix(&[0]).unwrap_or(b).len();
            if visit(&key[..strip(&key)], &value[..strip(&value)]).is_break() {
                return Ok(());
            }
            pos += 8 + klen + vlen;
        }
        Ok(())
    }
}

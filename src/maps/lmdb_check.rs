//! A bounded walk of an LMDB file's main B-tree before LMDB maps it.
//!
//! LMDB trusts its pages: a page whose header or node offsets were
//! overwritten makes the C library fail an assertion, read outside the map
//! (SIGSEGV) or past the end of the file (SIGBUS). This module reads every
//! page of the main database's tree once with `pread` (64-bit LMDB 0.9
//! layout, data version 1) and refuses anything a read-only LMDB cursor
//! could trip over, so a damaged table is a clean error naming the file.
//!
//! Layout (little-endian): a page starts with a 16-byte header {pgno u64,
//! pad u16, flags u16, lower u16, upper u16} (overflow pages hold a u32
//! page count where lower/upper are); branch and leaf pages continue with
//! `(lower - 16) / 2` u16 node offsets, each pointing at an 8-byte node
//! header {lo u16, hi u16, flags u16, key size u16} followed by the key and,
//! in leaves, the data. A leaf's data size is `lo | hi << 16`; a branch
//! node's child page is `lo | hi << 16 | flags << 32`.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::MapError;
use super::lmdb::MAX_KEY_SIZE;

/// Page header size (`PAGEHDRSZ`).
const PAGE_HEADER: usize = 16;
/// Node header size (`NODESIZE`).
const NODE_HEADER: usize = 8;
/// `P_INVALID`: the root of an empty database.
pub(super) const NO_PAGE: u64 = u64::MAX;
/// LMDB's cursor stack depth (`CURSOR_STACK`); deeper trees cannot be read.
const MAX_DEPTH: u16 = 32;

const P_BRANCH: u16 = 0x01;
const P_LEAF: u16 = 0x02;
const P_OVERFLOW: u16 = 0x04;
/// `P_DIRTY`: may be left set on pages written through a writable map.
const P_DIRTY: u16 = 0x10;

const F_BIGDATA: u16 = 0x01;

/// `MDB_REVERSEKEY`, the only database flag that changes nothing a plain
/// byte-key reader relies on; the dup-sort and integer-key flags make LMDB
/// interpret data as sub-databases or keys as machine integers.
const DB_REVERSEKEY: u16 = 0x02;

/// What the chosen meta page says about the file and its databases.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// Page size.
    pub psize: u64,
    /// Last page in use (already checked against the file length).
    pub last_page: u64,
    /// Root of the free-page database.
    pub free_root: u64,
    /// Root of the main database.
    pub main_root: u64,
    /// Depth of the main database's tree.
    pub main_depth: u16,
    /// The main database's flags.
    pub main_flags: u16,
    /// Number of entries in the main database.
    pub main_entries: u64,
}

/// Walks the main database's tree in `file`; `Corrupt` naming `path` on
/// the first page LMDB could not safely read.
pub(super) fn check_tree(path: &Path, file: &File, layout: &Layout) -> Result<(), MapError> {
    Walk::new(path, file, layout)?.run()
}

/// Looks `key` (exact bytes) up in the main database of `file`, checking
/// only the pages the lookup touches: each page from the root down to one
/// leaf before reading it, and the overflow run of a big value found. The
/// cost does not grow with the table (a few page reads), and a damaged page
/// on the way is `Corrupt` naming `path`, as in [`check_tree`].
pub(super) fn lookup(
    path: &Path,
    file: &File,
    layout: &Layout,
    key: &[u8],
    cache: &mut BranchCache,
) -> Result<Option<Vec<u8>>, MapError> {
    Walk::new(path, file, layout)?.lookup(key, cache)
}

/// Branch pages already read and checked by earlier lookups in the same
/// open table, by page number and level, so a batch of lookups (`query -`)
/// reads little more than one leaf per key. Bounded in size.
#[derive(Default)]
pub(super) struct BranchCache {
    pages: std::collections::HashMap<(u64, u16), Box<[u8]>>,
}

impl BranchCache {
    /// Pages kept at most (8 MiB of 4 KiB pages): the upper levels of any
    /// table ccert or postmap writes.
    const MAX_PAGES: usize = 2048;
}

/// A leaf node's data.
enum NodeData<'a> {
    /// Stored on the page.
    InPage(&'a [u8]),
    /// Stored in an overflow run: first page, size in bytes.
    Overflow(u64, u64),
}

struct Walk<'a> {
    path: &'a Path,
    file: &'a File,
    layout: Layout,
    psize: usize,
    page: Vec<u8>,
    /// One bit per page of the file: pages already reached.
    seen: Vec<u64>,
    entries: u64,
}

impl<'a> Walk<'a> {
    fn new(path: &'a Path, file: &'a File, layout: &Layout) -> Result<Self, MapError> {
        let walk = Self {
            path,
            file,
            layout: *layout,
            psize: layout.psize as usize,
            page: vec![0; layout.psize as usize],
            seen: Vec::new(),
            entries: 0,
        };
        if layout.free_root != NO_PAGE && !walk.in_file(layout.free_root) {
            return Err(walk.corrupt(format!(
                "free-page database root {} is outside the file",
                layout.free_root
            )));
        }
        if layout.main_flags & !DB_REVERSEKEY != 0 {
            return Err(walk.corrupt(format!(
                "main database has flags {:#x}; Postfix tables use none",
                layout.main_flags
            )));
        }
        Ok(walk)
    }

    fn corrupt(&self, message: String) -> MapError {
        MapError::Corrupt {
            path: self.path.to_path_buf(),
            message: format!("damaged LMDB file: {message}"),
        }
    }

    /// Pages 0 and 1 are the meta pages; tree pages come after them.
    fn in_file(&self, pgno: u64) -> bool {
        (2..=self.layout.last_page).contains(&pgno)
    }

    /// Checks the main database's root, depth and entry count against each
    /// other; `None` for an empty database. Sizes the page bitset.
    fn checked_root(&mut self) -> Result<Option<u64>, MapError> {
        let Layout {
            main_root: root,
            main_depth: depth,
            main_entries,
            ..
        } = self.layout;
        if root == NO_PAGE {
            if depth != 0 || main_entries != 0 {
                return Err(self.corrupt(format!(
                    "empty main database with depth {depth} and {main_entries} entries"
                )));
            }
            return Ok(None);
        }
        if !self.in_file(root) {
            return Err(self.corrupt(format!("main database root {root} is outside the file")));
        }
        if !(1..=MAX_DEPTH).contains(&depth) {
            return Err(self.corrupt(format!("main database depth {depth}")));
        }
        Ok(Some(root))
    }

    fn run(mut self) -> Result<(), MapError> {
        let Some(root) = self.checked_root()? else {
            return Ok(());
        };
        // last_page + 1 pages fit in the file, so the bitset is small.
        self.seen = vec![0; (self.layout.last_page / 64 + 1) as usize];
        // Depth-first, one page buffer; the stack holds at most
        // depth * (keys per branch page) page numbers.
        let mut stack = vec![(root, 1u16)];
        while let Some((pgno, level)) = stack.pop() {
            self.visit(pgno, level, &mut stack)?;
        }
        let main_entries = self.layout.main_entries;
        if self.entries != main_entries {
            return Err(self.corrupt(format!(
                "main database counts {main_entries} entries, its leaves hold {}",
                self.entries
            )));
        }
        Ok(())
    }

    /// Marks `pgno` reached; an error when it was reached before. (A
    /// lookup, which reads one path, keeps no marks.)
    fn mark(&mut self, pgno: u64) -> Result<(), MapError> {
        if self.seen.is_empty() {
            return Ok(());
        }
        let (word, bit) = ((pgno / 64) as usize, 1u64 << (pgno % 64));
        if self.seen[word] & bit != 0 {
            return Err(self.corrupt(format!("page {pgno} is reached twice")));
        }
        self.seen[word] |= bit;
        Ok(())
    }

    fn read_page(&mut self, pgno: u64) -> Result<(), MapError> {
        self.file
            .read_exact_at(&mut self.page, pgno * self.layout.psize)
            .map_err(|source| MapError::Io {
                path: self.path.to_path_buf(),
                source,
            })
    }

    fn u16_at(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.page[at], self.page[at + 1]])
    }

    fn u64_at(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.page[at..at + 8].try_into().expect("8 bytes"))
    }

    /// Reads page `pgno`, expected at `level` of the main tree, and checks
    /// its header and every node on it (offsets, sizes, flags, child page
    /// numbers) so its keys and in-page values can be read without bounds
    /// trouble. Returns whether it is a branch and its number of nodes.
    fn check_page(&mut self, pgno: u64, level: u16) -> Result<(bool, usize), MapError> {
        self.read_page(pgno)?;
        let bad = |what: String| format!("page {pgno}: {what}");
        let stored = self.u64_at(0);
        if stored != pgno {
            return Err(self.corrupt(bad(format!("header says page {stored}"))));
        }
        let flags = self.u16_at(10) & !P_DIRTY;
        let depth = self.layout.main_depth;
        let branch = match flags {
            P_BRANCH if level < depth => true,
            P_LEAF if level == depth => false,
            P_BRANCH | P_LEAF => {
                return Err(self.corrupt(bad(format!(
                    "{} at level {level} of a tree {depth} deep",
                    if flags == P_LEAF { "leaf" } else { "branch" }
                ))));
            }
            other => {
                return Err(self.corrupt(bad(format!(
                    "flags {other:#x} (a main-database page is a plain branch or leaf)"
                ))));
            }
        };
        let (lower, upper) = (self.u16_at(12) as usize, self.u16_at(14) as usize);
        if lower < PAGE_HEADER || lower > upper || upper > self.psize || !lower.is_multiple_of(2) {
            return Err(self.corrupt(bad(format!("bounds {lower}..{upper}"))));
        }
        let keys = (lower - PAGE_HEADER) / 2;
        if keys == 0 && (branch || level > 1) {
            return Err(self.corrupt(bad("no keys".into())));
        }
        for i in 0..keys {
            let at = self.node_offset(i);
            let node = |what: &str| bad(format!("node {i} at {at}: {what}"));
            if at < upper || !at.is_multiple_of(2) || at + NODE_HEADER > self.psize {
                return Err(self.corrupt(node("offset outside the node area")));
            }
            let (lo, hi) = (self.u16_at(at) as u64, self.u16_at(at + 2) as u64);
            let nflags = self.u16_at(at + 4);
            let ksize = self.u16_at(at + 6) as usize;
            if ksize > MAX_KEY_SIZE {
                return Err(self.corrupt(node(&format!("key size {ksize}"))));
            }
            let key_end = at + NODE_HEADER + ksize;
            if branch {
                if key_end > self.psize {
                    return Err(self.corrupt(node("key runs past the page")));
                }
                let child = lo | hi << 16 | (nflags as u64) << 32;
                if !self.in_file(child) {
                    return Err(self.corrupt(node(&format!("child page {child} outside the file"))));
                }
                continue;
            }
            let dsize = lo | hi << 16;
            match nflags {
                0 => {
                    if key_end as u64 + dsize > self.psize as u64 {
                        return Err(self.corrupt(node("key and data run past the page")));
                    }
                }
                F_BIGDATA => {
                    if key_end + 8 > self.psize {
                        return Err(self.corrupt(node("key runs past the page")));
                    }
                }
                other => {
                    return Err(self.corrupt(node(&format!(
                        "flags {other:#x} (Postfix tables have neither sub-databases \
                         nor duplicates)"
                    ))));
                }
            }
        }
        Ok((branch, keys))
    }

    /// Offset of node `i` on the current page (not yet checked).
    fn node_offset(&self, i: usize) -> usize {
        self.u16_at(PAGE_HEADER + 2 * i) as usize
    }

    /// Key of node `i` on the current, checked page.
    fn node_key(&self, i: usize) -> &[u8] {
        let at = self.node_offset(i);
        let ksize = self.u16_at(at + 6) as usize;
        &self.page[at + NODE_HEADER..at + NODE_HEADER + ksize]
    }

    /// Child page of branch node `i` on the current, checked page.
    fn node_child(&self, i: usize) -> u64 {
        let at = self.node_offset(i);
        self.u16_at(at) as u64
            | (self.u16_at(at + 2) as u64) << 16
            | (self.u16_at(at + 4) as u64) << 32
    }

    /// Data of leaf node `i` on the current, checked page: in-page bytes,
    /// or the first overflow page and the size of a big value.
    fn node_data(&self, i: usize) -> NodeData<'_> {
        let at = self.node_offset(i);
        let dsize = self.u16_at(at) as u64 | (self.u16_at(at + 2) as u64) << 16;
        let key_end = at + NODE_HEADER + self.u16_at(at + 6) as usize;
        if self.u16_at(at + 4) == F_BIGDATA {
            NodeData::Overflow(self.u64_at(key_end), dsize)
        } else {
            NodeData::InPage(&self.page[key_end..key_end + dsize as usize])
        }
    }

    fn visit(
        &mut self,
        pgno: u64,
        level: u16,
        stack: &mut Vec<(u64, u16)>,
    ) -> Result<(), MapError> {
        self.mark(pgno)?;
        let (branch, keys) = self.check_page(pgno, level)?;
        for i in 0..keys {
            if branch {
                stack.push((self.node_child(i), level + 1));
                continue;
            }
            if let NodeData::Overflow(first, dsize) = self.node_data(i) {
                let at = self.node_offset(i);
                self.check_overflow(
                    first,
                    dsize,
                    &format!("page {pgno}: node {i} at {at}: big data"),
                )?;
            }
            self.entries += 1;
        }
        Ok(())
    }

    /// Looks `key` up by walking from the root to one leaf, checking each
    /// page before reading it and the overflow run of a big value found.
    fn lookup(mut self, key: &[u8], cache: &mut BranchCache) -> Result<Option<Vec<u8>>, MapError> {
        let Some(root) = self.checked_root()? else {
            return Ok(None);
        };
        let reverse = self.layout.main_flags & DB_REVERSEKEY != 0;
        let cmp = move |a: &[u8], b: &[u8]| {
            if reverse {
                a.iter().rev().cmp(b.iter().rev())
            } else {
                a.cmp(b)
            }
        };
        let mut pgno = root;
        for level in 1..=self.layout.main_depth {
            let (branch, keys) = match cache.pages.get(&(pgno, level)) {
                Some(page) => {
                    self.page.copy_from_slice(page);
                    (true, (self.u16_at(12) as usize - PAGE_HEADER) / 2)
                }
                None => {
                    let checked = self.check_page(pgno, level)?;
                    if checked.0 && cache.pages.len() < BranchCache::MAX_PAGES {
                        cache.pages.insert((pgno, level), self.page.clone().into());
                    }
                    checked
                }
            };
            if branch {
                // The child whose subtree holds `key`: the last node from 1
                // on whose key is not greater (node 0's key is ignored).
                let (mut lo, mut hi) = (1, keys);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if cmp(self.node_key(mid), key).is_le() {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                pgno = self.node_child(lo - 1);
                continue;
            }
            let (mut lo, mut hi) = (0, keys);
            while lo < hi {
                let mid = (lo + hi) / 2;
                match cmp(self.node_key(mid), key) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => return self.value(mid).map(Some),
                }
            }
            return Ok(None);
        }
        Ok(None)
    }

    /// The value of leaf node `i` on the current, checked page.
    fn value(&mut self, i: usize) -> Result<Vec<u8>, MapError> {
        match self.node_data(i) {
            NodeData::InPage(bytes) => Ok(bytes.to_vec()),
            NodeData::Overflow(first, dsize) => {
                self.check_overflow(first, dsize, &format!("node {i}: big data"))?;
                let mut value = vec![0; dsize as usize];
                self.file
                    .read_exact_at(&mut value, first * self.layout.psize + PAGE_HEADER as u64)
                    .map_err(|source| MapError::Io {
                        path: self.path.to_path_buf(),
                        source,
                    })?;
                Ok(value)
            }
        }
    }

    /// Checks the overflow run starting at `first` holds `dsize` bytes and
    /// lies in the file, and marks its pages reached. `ctx` names the node.
    fn check_overflow(&mut self, first: u64, dsize: u64, ctx: &str) -> Result<(), MapError> {
        if !self.in_file(first) {
            return Err(self.corrupt(format!("{ctx}: overflow page {first} outside the file")));
        }
        self.mark(first)?;
        let mut header = [0u8; PAGE_HEADER];
        self.file
            .read_exact_at(&mut header, first * self.layout.psize)
            .map_err(|source| MapError::Io {
                path: self.path.to_path_buf(),
                source,
            })?;
        let stored = u64::from_le_bytes(header[0..8].try_into().expect("8 bytes"));
        let flags = u16::from_le_bytes([header[10], header[11]]) & !P_DIRTY;
        let pages = u32::from_le_bytes(header[12..16].try_into().expect("4 bytes")) as u64;
        if stored != first || flags != P_OVERFLOW || pages == 0 {
            return Err(self.corrupt(format!(
                "{ctx}: overflow page {first} has header page {stored}, flags {flags:#x}, \
                 {pages} pages"
            )));
        }
        let last = first + pages - 1;
        if last > self.layout.last_page {
            return Err(self.corrupt(format!(
                "{ctx}: overflow run {first}..={last} runs past the last page {}",
                self.layout.last_page
            )));
        }
        if pages * self.layout.psize - (PAGE_HEADER as u64) < dsize {
            return Err(self.corrupt(format!(
                "{ctx}: {dsize} bytes do not fit in the {pages} overflow pages at {first}"
            )));
        }
        for pgno in first + 1..=last {
            self.mark(pgno)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::lmdb::LmdbBackend;
    use super::super::prepare::DuplicatePolicy;
    use super::super::{Backend, Entry};
    use super::*;

    const PAGE: usize = 4096;

    /// Writes a 3,000-entry table with one 10,000-byte value with ccert's
    /// own writer; returns the source path and the table's bytes.
    fn build(dir: &Path) -> (PathBuf, Vec<u8>) {
        let source = dir.join("map");
        std::fs::write(&source, "x").unwrap();
        let mut entries = (0..3000)
            .map(|i| (format!("key{i:05}"), format!("value{i}")))
            .chain([("longkey".to_string(), "v".repeat(10_000))])
            .enumerate()
            .map(|(line, (k, v))| {
                Ok(Entry {
                    key: k.into_bytes(),
                    value: v.into_bytes(),
                    line: line + 1,
                })
            });
        let table = LmdbBackend
            .write(&source, &mut entries, DuplicatePolicy::Warn, &mut |_| {})
            .unwrap();
        (source, std::fs::read(table).unwrap())
    }

    /// Writes `bytes` as the table, opens it and reads every entry (the
    /// full walk); the open table when that succeeds.
    fn open(
        dir: &Path,
        source: &Path,
        bytes: &[u8],
    ) -> Result<Box<dyn super::super::Table>, MapError> {
        std::fs::write(dir.join("map.lmdb"), bytes).unwrap();
        let mut table = LmdbBackend.open(source)?;
        table.entries()?;
        Ok(table)
    }

    /// Looks up `key` in a fresh open of `bytes` (no full walk).
    fn get(
        dir: &Path,
        source: &Path,
        bytes: &[u8],
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, MapError> {
        std::fs::write(dir.join("map.lmdb"), bytes).unwrap();
        LmdbBackend.open(source)?.get(key)
    }

    fn expect_corrupt(dir: &Path, source: &Path, bytes: &[u8], what: &str) -> String {
        match open(dir, source, bytes) {
            Err(MapError::Corrupt { path, message }) => {
                assert_eq!(path, dir.join("map.lmdb"), "{what}");
                message
            }
            Err(other) => panic!("{what}: {other}"),
            Ok(_) => panic!("{what}: damaged table accepted"),
        }
    }

    fn u64_at(bytes: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
    }

    /// The main root page number of the newer meta page.
    fn root(bytes: &[u8]) -> usize {
        u64_at(bytes, root_meta(bytes) + 128) as usize
    }

    #[test]
    fn valid_table_passes_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let (source, bytes) = build(dir.path());
        let mut table = open(dir.path(), &source, &bytes).unwrap();
        assert_eq!(table.entries().unwrap().len(), 3001);
        assert_eq!(table.get(b"longkey").unwrap().unwrap().len(), 10_000);
    }

    #[test]
    fn path_lookups_find_what_lmdb_stores() {
        let dir = tempfile::tempdir().unwrap();
        let (source, bytes) = build(dir.path());
        std::fs::write(dir.path().join("map.lmdb"), &bytes).unwrap();
        let mut table = LmdbBackend.open(&source).unwrap();
        let all = table.entries().unwrap();
        let mut fresh = LmdbBackend.open(&source).unwrap();
        for (key, value) in &all {
            assert_eq!(fresh.get(key).unwrap().as_ref(), Some(value), "{key:?}");
            let mut miss = key.clone();
            miss.push(b'~');
            assert_eq!(fresh.get(&miss).unwrap(), None);
        }
        assert_eq!(fresh.get(b"").unwrap(), None);
        assert_eq!(fresh.get(b"a").unwrap(), None);
        assert_eq!(fresh.get(b"zzz").unwrap(), None);
    }

    #[test]
    fn path_lookups_refuse_damage_on_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let (source, good) = build(dir.path());
        let keys: [&[u8]; 4] = [b"key00000", b"key02999", b"longkey", b"nokey"];
        let want: Vec<_> = keys
            .iter()
            .map(|k| get(dir.path(), &source, &good, k).unwrap())
            .collect();
        let mut refused = 0;
        for page in 2..good.len() / PAGE {
            for fill in [0u8, 0xff] {
                let mut bytes = good.clone();
                bytes[page * PAGE..(page + 1) * PAGE].fill(fill);
                for (key, want) in keys.iter().zip(&want) {
                    match get(dir.path(), &source, &bytes, key) {
                        Err(MapError::Corrupt { .. }) => refused += 1,
                        Err(other) => panic!("page {page}: {other}"),
                        // A page off the path, or an overflow tail page
                        // (plain value bytes).
                        Ok(got) if &got == want || *key == b"longkey" => {}
                        Ok(got) => panic!("page {page}, key {key:?}: {got:?}"),
                    }
                }
            }
        }
        // Every key's path has the root, a leaf (and for longkey the
        // overflow header) that both fills break.
        assert!(refused >= 2 * (2 * 3 + 3), "{refused}");
    }

    #[test]
    fn every_overwritten_page_is_refused_or_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let (source, good) = build(dir.path());
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut refused = 0;
        for page in 2..good.len() / PAGE {
            let mut random = vec![0u8; PAGE];
            for b in &mut random {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            for fill in [vec![0u8; PAGE], vec![0xff; PAGE], random] {
                let mut bytes = good.clone();
                bytes[page * PAGE..(page + 1) * PAGE].copy_from_slice(&fill);
                match open(dir.path(), &source, &bytes) {
                    Err(MapError::Corrupt { .. }) => refused += 1,
                    Err(other) => panic!("page {page}: {other}"),
                    // Only the tail pages of the overflow run (raw data
                    // without a header) may pass the walk; reading them is
                    // harmless.
                    Ok(mut table) => {
                        assert_eq!(table.entries().unwrap().len(), 3001, "page {page}");
                    }
                }
            }
        }
        // All but the two header-less overflow pages are refused.
        assert_eq!(refused, 3 * (good.len() / PAGE - 2 - 2));
    }

    #[test]
    fn forged_structures_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (source, good) = build(dir.path());
        let root = root(&good);
        let at = root * PAGE;
        assert_eq!(good[at + 10], P_BRANCH as u8, "the root is a branch");
        let first_node = u16::from_le_bytes([good[at + 16], good[at + 17]]) as usize;

        // A branch child pointing back at the root: a cycle.
        let mut bytes = good.clone();
        bytes[at + first_node..at + first_node + 2].copy_from_slice(&(root as u16).to_le_bytes());
        bytes[at + first_node + 2..at + first_node + 6].fill(0);
        let msg = expect_corrupt(dir.path(), &source, &bytes, "cycle");
        assert!(msg.contains("level") || msg.contains("twice"), "{msg}");

        // A child beyond the last page.
        let mut bytes = good.clone();
        bytes[at + first_node + 2..at + first_node + 4].copy_from_slice(&[0xff, 0x7f]);
        let msg = expect_corrupt(dir.path(), &source, &bytes, "far child");
        assert!(msg.contains("outside the file"), "{msg}");

        // A node offset inside the pointer array.
        let mut bytes = good.clone();
        bytes[at + 16..at + 18].copy_from_slice(&16u16.to_le_bytes());
        expect_corrupt(dir.path(), &source, &bytes, "node offset");

        // Upper beyond the page.
        let mut bytes = good.clone();
        bytes[at + 14..at + 16].copy_from_slice(&(PAGE as u16 + 2).to_le_bytes());
        expect_corrupt(dir.path(), &source, &bytes, "upper");

        // Root outside the file, and dup-sort flags on the main database,
        // in the meta page LMDB uses.
        let meta = root_meta(&good);
        let mut bytes = good.clone();
        bytes[meta + 128..meta + 136].copy_from_slice(&(1u64 << 40).to_le_bytes());
        let msg = expect_corrupt(dir.path(), &source, &bytes, "root");
        assert!(msg.contains("root"), "{msg}");
        let mut bytes = good.clone();
        bytes[meta + 92..meta + 94].copy_from_slice(&0x04u16.to_le_bytes());
        let msg = expect_corrupt(dir.path(), &source, &bytes, "dupsort");
        assert!(msg.contains("flags"), "{msg}");
        // Entry count that disagrees with the leaves.
        let mut bytes = good.clone();
        bytes[meta + 120..meta + 128].copy_from_slice(&5u64.to_le_bytes());
        let msg = expect_corrupt(dir.path(), &source, &bytes, "entries");
        assert!(msg.contains("entries"), "{msg}");
    }

    /// Offset of the meta page LMDB uses (the higher transaction id).
    fn root_meta(bytes: &[u8]) -> usize {
        if u64_at(bytes, PAGE + 144) > u64_at(bytes, 144) {
            PAGE
        } else {
            0
        }
    }
}

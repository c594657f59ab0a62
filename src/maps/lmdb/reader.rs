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
//!
//! The same checked walk reads every entry for `dump` (in key order, as an
//! LMDB cursor does): one page buffer and `pread`, where LMDB's own
//! iteration maps the file and leaves every page it read resident, so a
//! dump's memory would grow with the table (140 MB at 1M entries).

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use std::ops::ControlFlow;

use super::super::io_err;
use super::super::{MapError, Table, Visit};
use super::MAX_KEY_SIZE;
use crate::fsutil::{self, LockKind};

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
    Walk::new(path, file, layout)?.run(None)
}

/// Calls `visit` with every entry of the main database in `file`, in
/// LMDB's key order, until it breaks. Reads as [`check_tree`] does, one
/// checked page at a time (and a big value's overflow run whole), so memory
/// stays a few pages whatever the table's size. Entries come while the
/// tree is walked: callers that must not see part of a damaged table run
/// [`check_tree`] first.
pub(super) fn for_each_entry(
    path: &Path,
    file: &File,
    layout: &Layout,
    visit: &mut Visit<'_>,
) -> Result<(), MapError> {
    Walk::new(path, file, layout)?.run(Some(visit))
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

    /// Walks the whole tree, handing every entry to `visit` if given.
    fn run(mut self, mut visit: Option<&mut Visit<'_>>) -> Result<(), MapError> {
        let Some(root) = self.checked_root()? else {
            return Ok(());
        };
        // last_page + 1 pages fit in the file, so the bitset is small.
        self.seen = vec![0; (self.layout.last_page / 64 + 1) as usize];
        // Depth-first, one page buffer; the stack holds at most
        // depth * (keys per branch page) page numbers. Children are pushed
        // last first, so leaves come in key order.
        let mut stack = vec![(root, 1u16)];
        while let Some((pgno, level)) = stack.pop() {
            if self.visit(pgno, level, &mut stack, visit.as_deref_mut())? {
                return Ok(());
            }
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

    /// Checks page `pgno` at `level`, stacks a branch's children and hands
    /// a leaf's entries to `visit`; whether `visit` asked to stop.
    fn visit(
        &mut self,
        pgno: u64,
        level: u16,
        stack: &mut Vec<(u64, u16)>,
        mut visit: Option<&mut Visit<'_>>,
    ) -> Result<bool, MapError> {
        self.mark(pgno)?;
        let (branch, keys) = self.check_page(pgno, level)?;
        if branch {
            stack.extend((0..keys).rev().map(|i| (self.node_child(i), level + 1)));
            return Ok(false);
        }
        for i in 0..keys {
            let big = match self.node_data(i) {
                NodeData::Overflow(first, dsize) => {
                    let at = self.node_offset(i);
                    self.check_overflow(
                        first,
                        dsize,
                        &format!("page {pgno}: node {i} at {at}: big data"),
                    )?;
                    Some((first, dsize))
                }
                NodeData::InPage(_) => None,
            };
            self.entries += 1;
            let Some(visit) = visit.as_deref_mut() else {
                continue;
            };
            let flow = match big {
                Some((first, dsize)) => {
                    let value = self.read_overflow(first, dsize)?;
                    visit(self.node_key(i), &value)
                }
                None => match self.node_data(i) {
                    NodeData::InPage(value) => visit(self.node_key(i), value),
                    NodeData::Overflow(..) => unreachable!("checked above"),
                },
            };
            if flow == ControlFlow::Break(()) {
                return Ok(true);
            }
        }
        Ok(false)
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
                self.read_overflow(first, dsize)
            }
        }
    }

    /// The `dsize` bytes of a big value in the overflow run at `first`,
    /// already checked by [`Walk::check_overflow`].
    fn read_overflow(&self, first: u64, dsize: u64) -> Result<Vec<u8>, MapError> {
        let mut value = vec![0; dsize as usize];
        self.file
            .read_exact_at(&mut value, first * self.layout.psize + PAGE_HEADER as u64)
            .map_err(|source| MapError::Io {
                path: self.path.to_path_buf(),
                source,
            })?;
        Ok(value)
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

/// An open `lmdb:` table.
///
/// Single lookups read the file with `pread` along one root-to-leaf path,
/// checking each page first (see [`lookup`]), so a query costs
/// a few page reads whatever the table's size. Reading every entry walks and
/// checks the whole tree once, then walks it again handing out the entries
/// (see [`for_each_entry`]); LMDB itself never maps the file.
pub struct LmdbTable {
    path: PathBuf,
    layout: Layout,
    /// Branch pages checked by earlier lookups.
    cache: BranchCache,
    // Holds the fcntl read lock while the table is open, as Postfix's
    // readers do around their lookups.
    file: File,
}

impl LmdbTable {
    /// Opens `path` (the `.lmdb` file) read-only, checking its meta pages.
    pub fn open(path: &Path) -> Result<Self, MapError> {
        let mut file = fsutil::open_regular(path).map_err(|e| io_err(path, e))?;
        fsutil::lock(&file, LockKind::Fcntl, false).map_err(|e| io_err(path, e))?;
        let layout = check_header(path, &mut file)?;
        Ok(Self {
            path: path.to_path_buf(),
            layout,
            cache: Default::default(),
            file,
        })
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
            if let Some(value) = lookup(
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
        // The whole tree is checked before the first entry is handed out,
        // so a damaged table yields an error and no partial listing.
        check_tree(&self.path, &self.file, &self.layout)?;
        for_each_entry(&self.path, &self.file, &self.layout, &mut |k, v| {
            visit(strip_nul(k), strip_nul(v))
        })
    }
}

/// Validates the two LMDB meta pages: which one a reader uses, its page
/// size, and a file at least as long as it claims (liblmdb, as Postfix runs
/// it, dies of SIGBUS on a shorter one; ccert's own walk reads past the end).
/// Returns what the meta page LMDB would use says, for the tree walk.
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::super::prepare::DuplicatePolicy;
    use super::super::super::{Backend, Entry};
    use super::super::LmdbBackend;
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

    /// Writes `map.lmdb` in `dir` with LMDB itself, in random key order
    /// over several transactions with deletes in between, so the tree has
    /// half-full pages, free pages and pages out of key order; returns the
    /// entries LMDB's own cursor reads, in its order.
    fn build_with_lmdb(dir: &Path, reverse: bool) -> Vec<super::super::super::Pair> {
        use heed::types::Bytes;
        use heed::{DatabaseFlags, EnvFlags, EnvOpenOptions};
        let path = dir.join("map.lmdb");
        let mut options = EnvOpenOptions::new();
        options.map_size(64 << 20);
        // SAFETY: a fresh file in a private temp dir, opened once.
        unsafe { options.flags(EnvFlags::NO_SUB_DIR | EnvFlags::NO_LOCK) };
        // SAFETY: as above.
        let env = unsafe { options.open(&path) }.unwrap();
        let mut wtxn = env.write_txn().unwrap();
        let mut flags = DatabaseFlags::empty();
        if reverse {
            flags |= DatabaseFlags::REVERSE_KEY;
        }
        let db = env
            .database_options()
            .types::<Bytes, Bytes>()
            .flags(flags)
            .create(&mut wtxn)
            .unwrap();
        wtxn.commit().unwrap();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..4 {
            let mut wtxn = env.write_txn().unwrap();
            for _ in 0..2000 {
                let n = next();
                let key = format!("{:016x}\0", n % 50_000);
                // Now and then a value big enough for an overflow run.
                let len = if n % 97 == 0 {
                    5000 + (n % 3000) as usize
                } else {
                    (n % 60) as usize
                };
                let value = vec![b'a' + (round as u8); len];
                db.put(&mut wtxn, key.as_bytes(), &value).unwrap();
            }
            for _ in 0..500 {
                let key = format!("{:016x}\0", next() % 50_000);
                db.delete(&mut wtxn, key.as_bytes()).unwrap();
            }
            wtxn.commit().unwrap();
        }
        let rtxn = env.read_txn().unwrap();
        let all = db
            .iter(&rtxn)
            .unwrap()
            .map(|e| {
                let (k, v) = e.unwrap();
                (k.to_vec(), v.to_vec())
            })
            .collect();
        drop(rtxn);
        env.prepare_for_closing().wait();
        all
    }

    /// The entries ccert's walk reads from `dir/map.lmdb`, NULs kept.
    fn walked(dir: &Path) -> Result<Vec<super::super::super::Pair>, MapError> {
        let path = dir.join("map.lmdb");
        let layout = layout_of(&std::fs::read(&path).unwrap());
        let file = File::open(&path).unwrap();
        let mut out = Vec::new();
        for_each_entry(&path, &file, &layout, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    /// The layout of the meta page LMDB uses (read as `check_header` does).
    fn layout_of(bytes: &[u8]) -> Layout {
        let meta = root_meta(bytes);
        let u16_at = |o: usize| u16::from_le_bytes([bytes[meta + o], bytes[meta + o + 1]]);
        Layout {
            psize: u64::from(u32::from_le_bytes(
                bytes[meta + 40..meta + 44].try_into().unwrap(),
            )),
            last_page: u64_at(bytes, meta + 136),
            free_root: u64_at(bytes, meta + 80),
            main_flags: u16_at(92),
            main_depth: u16_at(94),
            main_entries: u64_at(bytes, meta + 120),
            main_root: u64_at(bytes, meta + 128),
        }
    }

    #[test]
    fn walk_reads_what_lmdb_cursors_read() {
        for reverse in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let want = build_with_lmdb(dir.path(), reverse);
            assert!(want.len() > 5000, "{}", want.len());
            assert!(
                want.iter().any(|(_, v)| v.len() > PAGE),
                "an overflow value"
            );
            let layout = layout_of(&std::fs::read(dir.path().join("map.lmdb")).unwrap());
            assert!(layout.main_depth >= 3, "depth {}", layout.main_depth);
            assert_ne!(layout.free_root, NO_PAGE, "free pages");
            assert_eq!(walked(dir.path()).unwrap(), want, "reverse {reverse}");
        }
    }

    #[test]
    fn walk_reads_ccert_tables_in_key_order_and_stops_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        build(dir.path());
        let all = walked(dir.path()).unwrap();
        assert_eq!(all.len(), 3001);
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "key order");
        assert_eq!(all[0], (b"key00000\0".to_vec(), b"value0\0".to_vec()));
        let long = all.iter().find(|(k, _)| k == b"longkey\0").unwrap();
        assert_eq!(long.1.len(), 10_001);

        let path = dir.path().join("map.lmdb");
        let layout = layout_of(&std::fs::read(&path).unwrap());
        let file = File::open(&path).unwrap();
        let mut seen = 0;
        for_each_entry(&path, &file, &layout, &mut |_, _| {
            seen += 1;
            if seen == 10 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, 10);
    }

    #[test]
    fn walk_refuses_damaged_pages_by_itself() {
        // Without the check pass first: every damaged tree page is refused
        // by the walk that hands out entries, before its entries go out.
        let dir = tempfile::tempdir().unwrap();
        let (_, good) = build(dir.path());
        let path = dir.path().join("map.lmdb");
        let mut refused = 0;
        for page in 2..good.len() / PAGE {
            let mut bytes = good.clone();
            bytes[page * PAGE..(page + 1) * PAGE].fill(0xff);
            std::fs::write(&path, &bytes).unwrap();
            match walked(dir.path()) {
                Err(MapError::Corrupt { path: p, .. }) => {
                    assert_eq!(p, path);
                    refused += 1;
                }
                Err(other) => panic!("page {page}: {other}"),
                Ok(all) => assert_eq!(all.len(), 3001, "page {page}"),
            }
        }
        // All but the two header-less overflow tail pages.
        assert_eq!(refused, good.len() / PAGE - 2 - 2);
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

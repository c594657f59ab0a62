//! Reading hash databases written by Berkeley DB (postmap) or by ccert
//! (docs/formats/hash.md#how-ccert-reads-a-table): both byte orders, hash
//! versions 8 (unsorted pages, linear scan) and 9 (sorted pages, binary
//! search), any valid page size.
//!
//! Every number taken from the file is checked before it is used, so a
//! damaged or hostile file yields [`MapError::Corrupt`] — never a panic, a
//! loop or a huge allocation: chains are bounded by the page count, item
//! lengths by the page and file size.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::func::{CHARKEY_HASH, func5};
use super::page::{
    DB_HASH_SUBDB, H_DUPLICATE, H_KEYDATA, H_OFFDUP, H_OFFPAGE, HOFFPAGE_SIZE, Header,
    MAX_PAGESIZE, META_SIZE, MIN_PAGESIZE, Meta, Order, P_HASH, P_HASH_UNSORTED, P_HASHMETA,
    P_INVALID, P_OVERFLOW, PAGE_HEADER, detect_order,
};
use crate::maps::{MapError, Table, Visit};

/// Magic of a Berkeley DB btree, to name it in the error.
const BTREE_MAGIC: u32 = 0x0005_3162;

/// A stored key and its value.
pub type Pair = (Vec<u8>, Vec<u8>);

/// An open hash table.
#[derive(Debug)]
pub struct HashTable {
    path: PathBuf,
    file: File,
    order: Order,
    meta: Meta,
    pagesize: usize,
    /// Pages actually present in the file.
    npages: u64,
}

/// One item of a hash page.
enum RawItem<'p> {
    Inline(&'p [u8]),
    OffPage { pgno: u32, tlen: u32 },
}

/// A validated bucket page: its header and the byte range of each item.
struct HashPage {
    bytes: Vec<u8>,
    header: Header,
    /// `(start, end)` of each item, index order.
    items: Vec<(usize, usize)>,
    sorted: bool,
}

impl HashTable {
    /// Opens `path` and validates its meta page.
    pub fn open(path: &Path) -> Result<Self, MapError> {
        let io = |source| MapError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = crate::fsutil::open_regular(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let corrupt = |message: String| MapError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        if len < MIN_PAGESIZE as u64 {
            return Err(corrupt(format!(
                "file is {len} bytes, too short for a Berkeley DB hash database; rebuild it with `ccert compile`"
            )));
        }
        let mut head = vec![0u8; MIN_PAGESIZE as usize];
        file.read_exact_at(&mut head, 0).map_err(io)?;
        let Some(order) = detect_order(&head) else {
            let le = Order::LITTLE.u32(&head, 12);
            let be = Order { big_endian: true }.u32(&head, 12);
            let what = if le == BTREE_MAGIC || be == BTREE_MAGIC {
                "a Berkeley DB btree database, not hash (use btree: or rebuild as hash)"
            } else {
                "not a Berkeley DB hash database (bad magic)"
            };
            return Err(corrupt(what.to_string()));
        };
        debug_assert!(head.len() >= META_SIZE);
        let meta = Meta::decode(&head, order);
        let check = |ok: bool, message: &str| {
            if ok {
                Ok(())
            } else {
                Err(corrupt(message.to_string()))
            }
        };
        check(
            meta.version == 8 || meta.version == 9,
            &format!(
                "hash version {} is not supported (8 and 9 are); upgrade it with db_upgrade or rebuild it",
                meta.version
            ),
        )?;
        let ps = meta.pagesize;
        check(
            ps.is_power_of_two() && (MIN_PAGESIZE..=MAX_PAGESIZE).contains(&ps),
            &format!("invalid page size {ps}"),
        )?;
        check(head[25] == P_HASHMETA, "page 0 is not a hash meta page")?;
        check(
            head[26] == 0,
            "checksummed or encrypted databases are not supported",
        )?;
        check(
            meta.flags & DB_HASH_SUBDB == 0,
            "database holds sub-databases, which Postfix tables never do",
        )?;
        check(
            meta.h_charkey == CHARKEY_HASH,
            "database uses a custom hash function, which Postfix tables never do",
        )?;
        let npages = len / u64::from(ps);
        check(
            u64::from(meta.last_pgno) < npages,
            &format!(
                "last page {} lies beyond the end of the file ({len} bytes): file truncated",
                meta.last_pgno
            ),
        )?;
        check(
            meta.max_bucket <= meta.last_pgno,
            &format!(
                "max_bucket {} exceeds the last page {}",
                meta.max_bucket, meta.last_pgno
            ),
        )?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            order,
            pagesize: ps as usize,
            meta,
            npages,
        })
    }

    /// The meta page as read.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    fn corrupt(&self, message: impl Into<String>) -> MapError {
        MapError::Corrupt {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    fn read_page(&self, pgno: u64, buf: &mut Vec<u8>) -> Result<(), MapError> {
        if pgno == 0 || pgno > u64::from(self.meta.last_pgno) || pgno >= self.npages {
            return Err(self.corrupt(format!("reference to page {pgno}, outside the data pages")));
        }
        buf.resize(self.pagesize, 0);
        self.file
            .read_exact_at(buf, pgno * self.pagesize as u64)
            .map_err(|source| MapError::Io {
                path: self.path.clone(),
                source,
            })
    }

    /// Reads and validates bucket page `pgno`. An all-zero page is an empty bucket.
    fn hash_page(&self, pgno: u64) -> Result<HashPage, MapError> {
        let mut bytes = Vec::new();
        self.read_page(pgno, &mut bytes)?;
        let header = Header::decode(&bytes, self.order);
        if header.ptype == P_INVALID && bytes.iter().all(|&b| b == 0) {
            return Ok(HashPage {
                bytes,
                header: Header::default(),
                items: Vec::new(),
                sorted: true,
            });
        }
        let sorted = match header.ptype {
            P_HASH => true,
            P_HASH_UNSORTED => false,
            t => {
                return Err(self.corrupt(format!("page {pgno} has type {t}, expected a hash page")));
            }
        };
        if u64::from(header.pgno) != pgno {
            return Err(self.corrupt(format!("page {pgno} claims to be page {}", header.pgno)));
        }
        let n = header.entries as usize;
        let index_end = PAGE_HEADER + 2 * n;
        if !n.is_multiple_of(2) || index_end > self.pagesize {
            return Err(self.corrupt(format!("page {pgno} has an impossible entry count {n}")));
        }
        let mut items = Vec::with_capacity(n);
        let mut end = self.pagesize;
        for i in 0..n {
            let start = self.order.u16(&bytes, PAGE_HEADER + 2 * i) as usize;
            if start < index_end || start >= end {
                return Err(
                    self.corrupt(format!("page {pgno}: item {i} is out of order or overlaps"))
                );
            }
            items.push((start, end));
            end = start;
        }
        Ok(HashPage {
            bytes,
            header,
            items,
            sorted,
        })
    }

    fn raw_item<'p>(&self, page: &'p HashPage, i: usize) -> Result<RawItem<'p>, MapError> {
        let (start, end) = page.items[i];
        let b = &page.bytes[start..end];
        match b[0] {
            H_KEYDATA => Ok(RawItem::Inline(&b[1..])),
            H_OFFPAGE if b.len() >= HOFFPAGE_SIZE => Ok(RawItem::OffPage {
                pgno: self.order.u32(b, 4),
                tlen: self.order.u32(b, 8),
            }),
            H_DUPLICATE | H_OFFDUP => Err(self.corrupt(format!(
                "page {}: duplicate-key data, which Postfix tables never hold",
                page.header.pgno
            ))),
            t => Err(self.corrupt(format!(
                "page {}: item {i} has unknown type {t}",
                page.header.pgno
            ))),
        }
    }

    /// The bytes of item `i`, reading its overflow chain when off-page.
    fn item<'p>(
        &self,
        page: &'p HashPage,
        i: usize,
        visited: Option<&mut Visited>,
    ) -> Result<Cow<'p, [u8]>, MapError> {
        match self.raw_item(page, i)? {
            RawItem::Inline(b) => Ok(Cow::Borrowed(b)),
            RawItem::OffPage { pgno, tlen } => Ok(Cow::Owned(self.overflow(pgno, tlen, visited)?)),
        }
    }

    /// Reads an overflow chain of `tlen` bytes starting at `pgno`.
    fn overflow(
        &self,
        pgno: u32,
        tlen: u32,
        mut visited: Option<&mut Visited>,
    ) -> Result<Vec<u8>, MapError> {
        let tlen = tlen as usize;
        let cap = self.pagesize - PAGE_HEADER;
        if tlen as u64 > self.npages * cap as u64 {
            return Err(self.corrupt(format!(
                "overflow item of {tlen} bytes is larger than the file"
            )));
        }
        // Grow as pages are really read: a hostile tlen must not allocate up front.
        let mut out = Vec::with_capacity(tlen.min(1 << 20));
        let mut page = Vec::new();
        let mut next = u64::from(pgno);
        let mut steps = 0u64;
        while next != 0 {
            steps += 1;
            if steps > self.npages {
                return Err(self.corrupt(format!("overflow chain from page {pgno} loops")));
            }
            if let Some(v) = visited.as_deref_mut()
                && !v.mark(next)
            {
                return Err(self.corrupt(format!("page {next} is referenced twice")));
            }
            self.read_page(next, &mut page)?;
            let h = Header::decode(&page, self.order);
            if h.ptype != P_OVERFLOW || u64::from(h.pgno) != next {
                return Err(
                    self.corrupt(format!("page {next} is not the overflow page it should be"))
                );
            }
            let len = h.hf_offset as usize;
            if len > cap || out.len() + len > tlen {
                return Err(self.corrupt(format!("overflow page {next} holds more than its item")));
            }
            out.extend_from_slice(&page[PAGE_HEADER..PAGE_HEADER + len]);
            next = u64::from(h.next);
        }
        if out.len() != tlen {
            return Err(self.corrupt(format!(
                "overflow chain from page {pgno} holds {} of {tlen} bytes",
                out.len()
            )));
        }
        Ok(out)
    }

    /// Looks up the exact stored key bytes.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Vec<u8>>, MapError> {
        let bucket = self.meta.bucket_of(func5(key));
        if bucket > self.meta.max_bucket {
            return Err(self.corrupt("hash masks do not match max_bucket"));
        }
        let mut pgno = self.first_page(bucket)?;
        let mut steps = 0u64;
        while pgno != 0 {
            steps += 1;
            if steps > self.npages {
                return Err(self.corrupt(format!("chain of bucket {bucket} loops")));
            }
            let page = self.hash_page(pgno)?;
            if let Some(i) = self.find_in_page(&page, key)? {
                return Ok(Some(self.item(&page, i + 1, None)?.into_owned()));
            }
            pgno = u64::from(page.header.next);
        }
        Ok(None)
    }

    /// The first page of a bucket's chain.
    fn first_page(&self, bucket: u32) -> Result<u64, MapError> {
        match self.meta.bucket_page(bucket) {
            0 => Err(self.corrupt(format!("bucket {bucket} maps to the meta page"))),
            p => Ok(p),
        }
    }

    /// Index of the key item equal to `key` on a page.
    fn find_in_page(&self, page: &HashPage, key: &[u8]) -> Result<Option<usize>, MapError> {
        let pairs = page.items.len() / 2;
        if page.sorted {
            let (mut lo, mut hi) = (0, pairs);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                match self.item(page, 2 * mid, None)?.as_ref().cmp(key) {
                    Ordering::Equal => return Ok(Some(2 * mid)),
                    Ordering::Less => lo = mid + 1,
                    Ordering::Greater => hi = mid,
                }
            }
            Ok(None)
        } else {
            for p in 0..pairs {
                if self.item(page, 2 * p, None)?.as_ref() == key {
                    return Ok(Some(2 * p));
                }
            }
            Ok(None)
        }
    }

    /// Calls `visit` with every stored pair, bucket by bucket, with stored
    /// bytes (NULs kept), until it breaks.
    pub fn for_each_raw(&self, visit: &mut Visit<'_>) -> Result<(), MapError> {
        let mut visited = Visited::new(self.npages);
        for bucket in 0..=self.meta.max_bucket {
            let mut pgno = self.first_page(bucket)?;
            while pgno != 0 {
                if !visited.mark(pgno) {
                    return Err(self.corrupt(format!(
                        "page {pgno} is in two bucket chains, or a chain loops"
                    )));
                }
                let page = self.hash_page(pgno)?;
                for p in 0..page.items.len() / 2 {
                    let k = self.item(&page, 2 * p, Some(&mut visited))?;
                    let v = self.item(&page, 2 * p + 1, Some(&mut visited))?;
                    if visit(&k, &v).is_break() {
                        return Ok(());
                    }
                }
                pgno = u64::from(page.header.next);
            }
        }
        Ok(())
    }
}

/// Pages seen during a full walk, so loops and shared pages are caught in one
/// pass: a bitmap for ordinary files, a set for huge (e.g. sparse) ones so a
/// hostile page count cannot make us allocate much.
enum Visited {
    Bits(Vec<u64>),
    Set(std::collections::HashSet<u64>),
}

impl Visited {
    /// Pages up to which a bitmap is used (2 MiB of bits).
    const BITMAP_PAGES: u64 = 1 << 24;

    fn new(npages: u64) -> Self {
        if npages <= Self::BITMAP_PAGES {
            Self::Bits(vec![0; npages.div_ceil(64) as usize])
        } else {
            Self::Set(std::collections::HashSet::new())
        }
    }

    /// Marks a page; false when it was already marked.
    fn mark(&mut self, pgno: u64) -> bool {
        match self {
            Self::Bits(words) => {
                let Some(word) = words.get_mut((pgno / 64) as usize) else {
                    // Outside the file: read_page reports it.
                    return true;
                };
                let bit = 1u64 << (pgno % 64);
                let fresh = *word & bit == 0;
                *word |= bit;
                fresh
            }
            Self::Set(set) => set.insert(pgno),
        }
    }
}

/// Drops one trailing NUL (Postfix's convention for hash tables).
fn strip_nul(mut v: Vec<u8>) -> Vec<u8> {
    if v.last() == Some(&0) {
        v.pop();
    }
    v
}

impl Table for HashTable {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, MapError> {
        let mut with_nul = Vec::with_capacity(key.len() + 1);
        with_nul.extend_from_slice(key);
        with_nul.push(0);
        if let Some(v) = self.lookup(&with_nul)? {
            return Ok(Some(strip_nul(v)));
        }
        Ok(self.lookup(key)?.map(strip_nul))
    }

    fn for_each_entry(&mut self, visit: &mut Visit<'_>) -> Result<(), MapError> {
        let strip = |b: &[u8]| b.strip_suffix(&[0]).unwrap_or(b).len();
        self.for_each_raw(&mut |k, v| visit(&k[..strip(k)], &v[..strip(v)]))
    }
}

//! Page and meta-page layout of Berkeley DB hash databases (docs/formats/hash.md).
//!
//! Everything ccert writes is little-endian; the reader also accepts
//! big-endian files through [`Order`].

/// Magic number of a hash database (`DB_HASHMAGIC`).
pub const HASH_MAGIC: u32 = 0x0006_1561;
/// The hash version ccert writes (sorted pages, Berkeley DB 4.6 – 5.3).
pub const HASH_VERSION: u32 = 9;
/// Size of the generic page header; the item index starts here.
pub const PAGE_HEADER: usize = 26;
/// Number of `spares` slots in the meta page (one per table doubling).
pub const NCACHED: usize = 32;
/// Smallest valid page size.
pub const MIN_PAGESIZE: u32 = 512;
/// Largest valid page size.
pub const MAX_PAGESIZE: u32 = 65536;
/// The page size ccert writes (what postmap gets on Debian file systems).
pub const DEFAULT_PAGESIZE: u32 = 4096;

/// Page type of an unused or zeroed page.
pub const P_INVALID: u8 = 0;
/// Page type of an unsorted hash page (hash versions before 9).
pub const P_HASH_UNSORTED: u8 = 2;
/// Page type of an overflow page holding part of a big item.
pub const P_OVERFLOW: u8 = 7;
/// Page type of the hash meta page.
pub const P_HASHMETA: u8 = 8;
/// Page type of a sorted hash page (version 9).
pub const P_HASH: u8 = 13;

/// Item type: the item's bytes follow the type byte.
pub const H_KEYDATA: u8 = 1;
/// Item type: an on-page duplicate set (never in Postfix tables).
pub const H_DUPLICATE: u8 = 2;
/// Item type: the item lives on an overflow page chain.
pub const H_OFFPAGE: u8 = 3;
/// Item type: an off-page duplicate tree (never in Postfix tables).
pub const H_OFFDUP: u8 = 4;
/// Size of an `H_OFFPAGE` item: type, 3 unused bytes, first page, total length.
pub const HOFFPAGE_SIZE: usize = 12;

/// Meta `flags` bit for a database holding sub-databases.
pub const DB_HASH_SUBDB: u32 = 0x02;

/// Smallest `i` with `2^i >= n` (Berkeley DB's `__db_log2`; 0 for n ≤ 1).
pub fn log2_ceil(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    }
}

/// Whether an item of `len` stored bytes goes to overflow pages (`len > pagesize/4`).
pub fn is_big(len: usize, pagesize: usize) -> bool {
    len > pagesize / 4
}

/// Bytes an item of `len` stored bytes takes on a hash page (without its index slot).
pub fn item_size(len: usize, pagesize: usize) -> usize {
    if is_big(len, pagesize) {
        HOFFPAGE_SIZE
    } else {
        1 + len
    }
}

/// Bytes a key/data pair takes on a hash page, index slots included.
pub fn pair_size(klen: usize, vlen: usize, pagesize: usize) -> usize {
    item_size(klen, pagesize) + item_size(vlen, pagesize) + 4
}

/// Bytes of item data one overflow page holds.
pub fn overflow_capacity(pagesize: usize) -> usize {
    pagesize - PAGE_HEADER
}

/// Byte order of a database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The file's byte order is big-endian.
    pub big_endian: bool,
}

impl Order {
    /// Little-endian, the order ccert writes.
    pub const LITTLE: Order = Order { big_endian: false };

    /// The u16 at `off` (the caller guarantees the bounds).
    pub fn u16(self, b: &[u8], off: usize) -> u16 {
        let a = [b[off], b[off + 1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    /// The u32 at `off` (the caller guarantees the bounds).
    pub fn u32(self, b: &[u8], off: usize) -> u32 {
        let a = [b[off], b[off + 1], b[off + 2], b[off + 3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
}

fn put_u16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// The generic 26-byte page header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// The page's own number.
    pub pgno: u32,
    /// Previous page in a chain (0 = none).
    pub prev: u32,
    /// Next page in a chain (0 = none).
    pub next: u32,
    /// Number of index slots (hash) or the reference count (overflow).
    pub entries: u16,
    /// Lowest used byte (hash) or bytes of data on the page (overflow).
    pub hf_offset: u16,
    /// Page type (`P_HASH`, `P_OVERFLOW`, …).
    pub ptype: u8,
}

impl Header {
    /// Reads a header from the start of a page.
    pub fn decode(page: &[u8], order: Order) -> Self {
        Self {
            pgno: order.u32(page, 8),
            prev: order.u32(page, 12),
            next: order.u32(page, 16),
            entries: order.u16(page, 20),
            hf_offset: order.u16(page, 22),
            ptype: page[25],
        }
    }

    /// Writes the header (little-endian, LSN "not logged" = file 0, offset 1, level 0).
    pub fn encode(&self, page: &mut [u8]) {
        put_u32(page, 0, 0);
        put_u32(page, 4, 1);
        put_u32(page, 8, self.pgno);
        put_u32(page, 12, self.prev);
        put_u32(page, 16, self.next);
        put_u16(page, 20, self.entries);
        put_u16(page, 22, self.hf_offset);
        page[24] = 0;
        page[25] = self.ptype;
    }
}

/// One item to place on a hash page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// Stored on the page (`H_KEYDATA`).
    Inline(&'a [u8]),
    /// Stored on an overflow chain starting at `pgno`, `tlen` bytes long.
    OffPage {
        /// First overflow page.
        pgno: u32,
        /// Total item length.
        tlen: u32,
    },
}

impl Item<'_> {
    /// Bytes the item takes on the page (without its index slot).
    pub fn size(&self) -> usize {
        match self {
            Item::Inline(b) => 1 + b.len(),
            Item::OffPage { .. } => HOFFPAGE_SIZE,
        }
    }
}

/// Lays out a sorted hash page: `items` are key, data, key, data … in key
/// order; they are placed from the page end downwards so the offsets in the
/// index strictly decrease and every item ends where the previous one starts.
/// The caller guarantees they fit (`sum of sizes + 2 × count ≤ pagesize − 26`).
pub fn encode_hash_page(page: &mut [u8], pgno: u32, prev: u32, next: u32, items: &[Item<'_>]) {
    page.fill(0);
    let mut off = page.len();
    for (i, item) in items.iter().enumerate() {
        off -= item.size();
        match item {
            Item::Inline(bytes) => {
                page[off] = H_KEYDATA;
                page[off + 1..off + 1 + bytes.len()].copy_from_slice(bytes);
            }
            Item::OffPage { pgno, tlen } => {
                page[off] = H_OFFPAGE;
                put_u32(page, off + 4, *pgno);
                put_u32(page, off + 8, *tlen);
            }
        }
        put_u16(page, PAGE_HEADER + 2 * i, off as u16);
    }
    debug_assert!(PAGE_HEADER + 2 * items.len() <= off);
    Header {
        pgno,
        prev,
        next,
        entries: items.len() as u16,
        // For a 65536-byte empty page this wraps to 0, as in Berkeley DB.
        hf_offset: off as u16,
        ptype: P_HASH,
    }
    .encode(page);
}

/// Lays out one overflow page holding `data` (at most `pagesize − 26` bytes).
pub fn encode_overflow_page(page: &mut [u8], pgno: u32, prev: u32, next: u32, data: &[u8]) {
    page.fill(0);
    page[PAGE_HEADER..PAGE_HEADER + data.len()].copy_from_slice(data);
    Header {
        pgno,
        prev,
        next,
        entries: 1,
        hf_offset: data.len() as u16,
        ptype: P_OVERFLOW,
    }
    .encode(page);
}

/// The fields of a hash meta page ccert uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// Hash version (8 or 9 are read; 9 is written).
    pub version: u32,
    /// Page size in bytes.
    pub pagesize: u32,
    /// Head of the free-page list (0 = empty).
    pub free: u32,
    /// Number of the last page in the file.
    pub last_pgno: u32,
    /// Meta flags (`DB_HASH_DUP`, `DB_HASH_SUBDB`, …).
    pub flags: u32,
    /// File id.
    pub uid: [u8; 20],
    /// Highest bucket in use.
    pub max_bucket: u32,
    /// Mask selecting a bucket in the current doubling.
    pub high_mask: u32,
    /// Mask selecting a bucket in the previous doubling.
    pub low_mask: u32,
    /// Fill factor (0 = none).
    pub ffactor: u32,
    /// Element count hint.
    pub nelem: u32,
    /// Hash of [`super::func::CHARKEY`], identifying the hash function.
    pub h_charkey: u32,
    /// Page offset of each doubling (see [`Meta::bucket_page`]).
    pub spares: [u32; NCACHED],
}

impl Meta {
    /// The meta of a fresh table of `nbuckets` (a power of two ≥ 2) buckets on
    /// pages `1..=nbuckets`: `spares[0..=log2 nbuckets] = 1`
    /// (docs/formats/hash.md#buckets-and-pages).
    pub fn fresh(nbuckets: u32, pagesize: u32) -> Self {
        debug_assert!(nbuckets >= 2 && nbuckets.is_power_of_two());
        let mut spares = [0; NCACHED];
        for s in spares.iter_mut().take(log2_ceil(nbuckets) as usize + 1) {
            *s = 1;
        }
        Self {
            version: HASH_VERSION,
            pagesize,
            free: 0,
            last_pgno: nbuckets,
            flags: 0,
            uid: [0; 20],
            max_bucket: nbuckets - 1,
            high_mask: nbuckets - 1,
            low_mask: nbuckets / 2 - 1,
            ffactor: 0,
            nelem: 0,
            h_charkey: super::func::CHARKEY_HASH,
            spares,
        }
    }

    /// The bucket a key hash belongs to (`__ham_call_hash`).
    pub fn bucket_of(&self, hash: u32) -> u32 {
        let b = hash & self.high_mask;
        if b > self.max_bucket {
            b & self.low_mask
        } else {
            b
        }
    }

    /// The first page of `bucket`: `bucket + spares[log2(bucket + 1)]`
    /// (64-bit so a hostile meta cannot overflow).
    pub fn bucket_page(&self, bucket: u32) -> u64 {
        let d = log2_ceil(bucket.saturating_add(1)) as usize;
        u64::from(bucket) + u64::from(self.spares[d.min(NCACHED - 1)])
    }

    /// Writes the meta page (little-endian) into `page`, zeroing the rest.
    pub fn encode(&self, page: &mut [u8]) {
        page.fill(0);
        put_u32(page, 0, 0);
        put_u32(page, 4, 1);
        put_u32(page, 8, 0);
        put_u32(page, 12, HASH_MAGIC);
        put_u32(page, 16, self.version);
        put_u32(page, 20, self.pagesize);
        page[24] = 0;
        page[25] = P_HASHMETA;
        put_u32(page, 28, self.free);
        put_u32(page, 32, self.last_pgno);
        put_u32(page, 48, self.flags);
        page[52..72].copy_from_slice(&self.uid);
        put_u32(page, 72, self.max_bucket);
        put_u32(page, 76, self.high_mask);
        put_u32(page, 80, self.low_mask);
        put_u32(page, 84, self.ffactor);
        put_u32(page, 88, self.nelem);
        put_u32(page, 92, self.h_charkey);
        for (i, s) in self.spares.iter().enumerate() {
            put_u32(page, 96 + 4 * i, *s);
        }
    }

    /// Reads a meta page (at least 224 bytes) in the given byte order. The
    /// caller checks the magic first (see [`detect_order`]).
    pub fn decode(page: &[u8], order: Order) -> Self {
        let mut spares = [0; NCACHED];
        for (i, s) in spares.iter_mut().enumerate() {
            *s = order.u32(page, 96 + 4 * i);
        }
        let mut uid = [0; 20];
        uid.copy_from_slice(&page[52..72]);
        Self {
            version: order.u32(page, 16),
            pagesize: order.u32(page, 20),
            free: order.u32(page, 28),
            last_pgno: order.u32(page, 32),
            flags: order.u32(page, 48),
            uid,
            max_bucket: order.u32(page, 72),
            high_mask: order.u32(page, 76),
            low_mask: order.u32(page, 80),
            ffactor: order.u32(page, 84),
            nelem: order.u32(page, 88),
            h_charkey: order.u32(page, 92),
            spares,
        }
    }
}

/// Minimum bytes of page 0 needed to decode the meta.
pub const META_SIZE: usize = 96 + 4 * NCACHED;

/// The byte order whose reading of the magic at offset 12 is the hash magic.
pub fn detect_order(page: &[u8]) -> Option<Order> {
    [Order::LITTLE, Order { big_endian: true }]
        .into_iter()
        .find(|o| o.u32(page, 12) == HASH_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_matches_db_log2() {
        let want = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (8, 3),
            (9, 4),
        ];
        for (n, l) in want {
            assert_eq!(log2_ceil(n), l, "log2({n})");
        }
        assert_eq!(log2_ceil(1 << 31), 31);
        assert_eq!(log2_ceil((1 << 31) + 1), 32);
    }

    #[test]
    fn fresh_meta_geometry() {
        let m = Meta::fresh(8, 4096);
        assert_eq!((m.max_bucket, m.high_mask, m.low_mask), (7, 7, 3));
        assert_eq!(&m.spares[..5], &[1, 1, 1, 1, 0]);
        for b in 0..8 {
            assert_eq!(m.bucket_page(b), u64::from(b) + 1);
        }
        let two = Meta::fresh(2, 4096);
        assert_eq!((two.max_bucket, two.high_mask, two.low_mask), (1, 1, 0));
        assert_eq!(&two.spares[..3], &[1, 1, 0]);
    }

    #[test]
    fn postmap_split_geometry() {
        // postmap's 1M-entry file (docs/formats/hash.md#buckets-and-pages):
        // max_bucket 34083 with these spares.
        let mut m = Meta::fresh(2, 4096);
        let spares = [
            1, 1, 2, 3, 4, 6, 9, 18, 37, 84, 164, 323, 643, 1267, 2606, 5143, 10155,
        ];
        m.spares[..spares.len()].copy_from_slice(&spares);
        m.max_bucket = 34083;
        m.high_mask = 0xffff;
        m.low_mask = 0x7fff;
        assert_eq!(m.bucket_of(0x0001_0000 | 34083), 34083);
        assert_eq!(m.bucket_of(34084), 34084 & 0x7fff);
        assert_eq!(m.bucket_page(0), 1);
        assert_eq!(m.bucket_page(32768), 32768 + 10155);
    }

    #[test]
    fn meta_round_trips_in_both_orders() {
        let mut m = Meta::fresh(16, 4096);
        m.nelem = 42;
        m.uid = [7; 20];
        let mut page = vec![0u8; 4096];
        m.encode(&mut page);
        assert_eq!(detect_order(&page), Some(Order::LITTLE));
        assert_eq!(Meta::decode(&page, Order::LITTLE), m);
        assert_eq!(&page[92..96], &0x5E68_8DD1u32.to_le_bytes());
        // Swap every 32-bit field as a big-endian writer would have stored it.
        let mut be = page.clone();
        for off in (0..META_SIZE)
            .step_by(4)
            .filter(|o| !(52..72).contains(o) && *o != 24)
        {
            be[off..off + 4].reverse();
        }
        let order = detect_order(&be).unwrap();
        assert!(order.big_endian);
        assert_eq!(Meta::decode(&be, order), m);
    }

    #[test]
    fn hash_page_offsets_strictly_decrease() {
        let mut page = vec![0u8; 512];
        let items = [
            Item::Inline(b"a\0"),
            Item::Inline(b"x\0"),
            Item::Inline(b"b\0"),
            Item::OffPage { pgno: 9, tlen: 300 },
        ];
        encode_hash_page(&mut page, 3, 0, 5, &items);
        let h = Header::decode(&page, Order::LITTLE);
        assert_eq!(
            (h.pgno, h.prev, h.next, h.entries, h.ptype),
            (3, 0, 5, 4, P_HASH)
        );
        let o = Order::LITTLE;
        let inp: Vec<usize> = (0..4).map(|i| o.u16(&page, 26 + 2 * i) as usize).collect();
        assert_eq!(inp, vec![509, 506, 503, 491]);
        assert_eq!(h.hf_offset as usize, 491);
        assert_eq!(&page[509..512], b"\x01a\0");
        assert_eq!(page[491], H_OFFPAGE);
        assert_eq!(o.u32(&page, 495), 9);
        assert_eq!(o.u32(&page, 499), 300);
    }

    #[test]
    fn big_items_and_pair_sizes() {
        assert!(!is_big(1024, 4096));
        assert!(is_big(1025, 4096));
        assert_eq!(pair_size(96, 25, 4096), 97 + 26 + 4);
        assert_eq!(pair_size(2000, 3, 4096), 12 + 4 + 4);
    }
}

//! rpm's header structure (FORMATS.md §2.1): an index of typed entries plus a data store, opened by
//! a region tag whose trailer closes the data. Used for the signature header and the main header.

use std::collections::BTreeMap;

pub const MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];

const INT16: u32 = 3;
const INT32: u32 = 4;
const INT64: u32 = 5;
const STRING: u32 = 6;
const BIN: u32 = 7;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

struct Entry {
    kind: u32,
    count: u32,
    data: Vec<u8>,
}

#[derive(Default)]
pub struct Header {
    entries: BTreeMap<u32, Entry>,
}

fn strings(values: &[String]) -> Vec<u8> {
    let mut data = Vec::new();
    for v in values {
        data.extend_from_slice(v.as_bytes());
        data.push(0);
    }
    data
}

impl Header {
    fn put(&mut self, tag: u32, kind: u32, count: u32, data: Vec<u8>) {
        self.entries.insert(tag, Entry { kind, count, data });
    }

    pub fn string(&mut self, tag: u32, value: &str) {
        self.put(tag, STRING, 1, strings(&[value.to_string()]));
    }

    /// A translatable string; needs HEADERI18NTABLE (100) = ["C"] in the same header.
    pub fn i18n(&mut self, tag: u32, value: &str) {
        self.put(tag, I18NSTRING, 1, strings(&[value.to_string()]));
    }

    pub fn strings(&mut self, tag: u32, values: &[String]) {
        self.put(tag, STRING_ARRAY, values.len() as u32, strings(values));
    }

    pub fn int32(&mut self, tag: u32, values: &[u32]) {
        self.put(tag, INT32, values.len() as u32, values.iter().flat_map(|v| v.to_be_bytes()).collect());
    }

    pub fn int16(&mut self, tag: u32, values: &[u16]) {
        self.put(tag, INT16, values.len() as u32, values.iter().flat_map(|v| v.to_be_bytes()).collect());
    }

    pub fn bin(&mut self, tag: u32, value: &[u8]) {
        self.put(tag, BIN, value.len() as u32, value.to_vec());
    }

    /// The serialised header: magic, counts, the region entry then the others in tag order, and
    /// the data laid out in index order with each value aligned to its type, the region trailer last.
    pub fn to_bytes(&self, region_tag: u32) -> Vec<u8> {
        let il = self.entries.len() + 1;
        let mut index = Vec::with_capacity(il * 16);
        let mut data: Vec<u8> = Vec::new();
        for (tag, e) in &self.entries {
            let align = match e.kind {
                INT16 => 2,
                INT32 => 4,
                INT64 => 8,
                _ => 1,
            };
            while !data.len().is_multiple_of(align) {
                data.push(0);
            }
            index.extend_from_slice(
                &[tag.to_be_bytes(), e.kind.to_be_bytes(), (data.len() as u32).to_be_bytes(), e.count.to_be_bytes()]
                    .concat(),
            );
            data.extend_from_slice(&e.data);
        }
        // The trailer is an index entry pointing back over the whole index: -(il * 16).
        let trailer_offset = data.len() as u32;
        let back = (-((il * 16) as i32)).to_be_bytes();
        data.extend_from_slice(&[region_tag.to_be_bytes(), BIN.to_be_bytes(), back, 16u32.to_be_bytes()].concat());
        let region =
            [region_tag.to_be_bytes(), BIN.to_be_bytes(), trailer_offset.to_be_bytes(), 16u32.to_be_bytes()].concat();

        let mut out = Vec::with_capacity(16 + il * 16 + data.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&(il as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&region);
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        out
    }
}

/// A parsed header, for reading packages back. Untrusted input: every offset and count is checked.
pub struct Parsed {
    pub entries: BTreeMap<u32, (u32, u32, Vec<u8>)>,
    /// Bytes the header occupies (magic to end of data).
    pub len: usize,
}

impl Parsed {
    pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
        if bytes.len() < 16 || bytes[..8] != MAGIC {
            return Err("bad header magic".into());
        }
        let be = |o: usize| u32::from_be_bytes(bytes[o..o + 4].try_into().unwrap());
        let (il, dl) = (be(8) as usize, be(12) as usize);
        if il > 100_000 || dl > (256 << 20) {
            return Err(format!("header too large ({il} entries, {dl} bytes)"));
        }
        let data_start = 16 + il * 16;
        let len = data_start + dl;
        if bytes.len() < len {
            return Err("truncated header".into());
        }
        let data = &bytes[data_start..len];
        // Each entry's data ends where the next entry (by offset) starts, or at the end of the store.
        let mut raw: Vec<(u32, u32, usize, u32)> =
            (0..il).map(|i| (be(16 + i * 16), be(20 + i * 16), be(24 + i * 16) as usize, be(28 + i * 16))).collect();
        raw.sort_by_key(|e| e.2);
        let mut entries = BTreeMap::new();
        for (i, &(tag, kind, offset, count)) in raw.iter().enumerate() {
            let end = raw.get(i + 1).map(|e| e.2).unwrap_or(dl).min(dl);
            if offset > end {
                return Err(format!("tag {tag}: offset {offset} beyond its data"));
            }
            entries.insert(tag, (kind, count, data[offset..end].to_vec()));
        }
        Ok(Parsed { entries, len })
    }

    pub fn strings(&self, tag: u32) -> Vec<String> {
        let Some((kind, count, data)) = self.entries.get(&tag) else { return Vec::new() };
        if !matches!(*kind, STRING | STRING_ARRAY | I18NSTRING) {
            return Vec::new();
        }
        data.split(|b| *b == 0).take(*count as usize).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
    }

    pub fn string(&self, tag: u32) -> Option<String> {
        self.strings(tag).into_iter().next()
    }

    pub fn ints(&self, tag: u32) -> Vec<u64> {
        let Some((kind, count, data)) = self.entries.get(&tag) else { return Vec::new() };
        let width = match *kind {
            INT16 => 2,
            INT32 => 4,
            INT64 => 8,
            _ => return Vec::new(),
        };
        data.chunks_exact(width)
            .take(*count as usize)
            .map(|c| c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
            .collect()
    }
}

//! Zip containers (DOCX, PPTX, XLSX, ODT) read under the archive limits.
//!
//! The entry count is checked from the end-of-central-directory record before the zip crate
//! allocates its index, and every entry is read through a guard that counts inflated bytes as
//! they stream: a bomb is stopped after at most one read buffer past the limit, never after it
//! has been inflated.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, BufReader, Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::detect::Format;
use super::{ExtractError, Limits};

/// Below this many inflated bytes an entry's ratio is not checked: small XML parts routinely
/// compress 100:1 and are harmless.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Which office format a zip holds, judged by its well-known part names. `None` for other
/// zips and for damaged ones.
pub(crate) fn sniff_office(input: &[u8]) -> Option<Format> {
    let zip = ZipArchive::new(Cursor::new(input)).ok()?;
    let has = |name: &str| zip.index_for_name(name).is_some();
    if has("word/document.xml") {
        Some(Format::Docx)
    } else if has("ppt/presentation.xml") {
        Some(Format::Pptx)
    } else if has("xl/workbook.xml") {
        Some(Format::Xlsx)
    } else if has("content.xml") && mimetype_is(input, "application/vnd.oasis.opendocument.text") {
        Some(Format::Odt)
    } else {
        None
    }
}

/// ODF stores its MIME type uncompressed as the first entry, so it can be read from the bytes.
fn mimetype_is(input: &[u8], mime: &str) -> bool {
    // Local file header: 30 fixed bytes (name length at 26, extra length at 28), the name,
    // the extra field, then the stored content.
    let len_at =
        |at: usize| input.get(at..at + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let (Some(name_len), Some(extra_len)) = (len_at(26), len_at(28)) else {
        return false;
    };
    let content = 30 + name_len + extra_len;
    input.get(30..30 + name_len) == Some(b"mimetype".as_slice())
        && input.get(content..content + mime.len()) == Some(mime.as_bytes())
}

pub(crate) struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    input_len: u64,
    limits: &'a Limits,
    inflated: Cell<u64>,
    /// Set by the guard when a limit trips; wins over the parse error the reader then sees.
    tripped: RefCell<Option<ExtractError>>,
}

impl<'a> Archive<'a> {
    pub fn open(input: &'a [u8], limits: &'a Limits) -> Result<Self, ExtractError> {
        if let Some(entries) = declared_entry_count(input)
            && entries > limits.max_archive_entries as u64
        {
            return Err(ExtractError::too_large(format!(
                "archive has {entries} entries, more than the {} allowed",
                limits.max_archive_entries
            )));
        }
        let zip = ZipArchive::new(Cursor::new(input)).map_err(zip_error)?;
        if zip.len() > limits.max_archive_entries {
            return Err(ExtractError::too_large(format!(
                "archive has {} entries, more than the {} allowed",
                zip.len(),
                limits.max_archive_entries
            )));
        }
        Ok(Self {
            zip,
            input_len: input.len() as u64,
            limits,
            inflated: Cell::new(0),
            tripped: RefCell::new(None),
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    pub fn names(&self) -> Vec<String> {
        self.zip.file_names().filter_map(|name| name.ok().map(|n| n.into_owned())).collect()
    }

    /// Reads a whole entry (for small parts: relationships, workbook, core properties).
    /// `Ok(None)` when the entry does not exist.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        self.with_entry(name, |reader| {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map_err(|e| ExtractError::parse(e.to_string()))?;
            Ok(bytes)
        })
    }

    /// Streams an entry through `f` under the limits. `Ok(None)` when the entry does not exist.
    pub fn with_entry<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut dyn BufRead) -> Result<T, ExtractError>,
    ) -> Result<Option<T>, ExtractError> {
        let Some(index) = self.zip.index_for_name(name) else {
            return Ok(None);
        };
        let entry = self.zip.by_index(index).map_err(zip_error)?;
        let compressed = entry.compressed_size();
        let guard = Guard {
            inner: entry,
            name,
            read: 0,
            compressed,
            input_len: self.input_len,
            limits: self.limits,
            inflated: &self.inflated,
            tripped: &self.tripped,
        };
        let mut reader = BufReader::with_capacity(64 * 1024, guard);
        let result = f(&mut reader);
        drop(reader);
        if let Some(error) = self.tripped.borrow_mut().take() {
            return Err(error);
        }
        result.map(Some)
    }
}

struct Guard<'g, R> {
    inner: R,
    name: &'g str,
    read: u64,
    compressed: u64,
    input_len: u64,
    limits: &'g Limits,
    inflated: &'g Cell<u64>,
    tripped: &'g RefCell<Option<ExtractError>>,
}

impl<R: Read> Guard<'_, R> {
    fn check(&self) -> Option<ExtractError> {
        let total = self.inflated.get();
        let ratio = self.limits.max_archive_ratio;
        if total > self.limits.max_archive_bytes {
            return Some(ExtractError::too_large(format!(
                "archive inflates beyond {} bytes",
                self.limits.max_archive_bytes
            )));
        }
        if self.read > RATIO_FLOOR && self.read > self.compressed.saturating_mul(ratio) {
            return Some(ExtractError::too_large(format!(
                "entry {} inflates more than {ratio}:1 (zip bomb?)",
                self.name
            )));
        }
        if total > RATIO_FLOOR && total > self.input_len.saturating_mul(ratio) {
            return Some(ExtractError::too_large(format!(
                "archive inflates more than {ratio}:1 (zip bomb?)"
            )));
        }
        None
    }
}

impl<R: Read> Read for Guard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.inflated.set(self.inflated.get() + n as u64);
        if let Some(error) = self.check() {
            let message = error.message.clone();
            *self.tripped.borrow_mut() = Some(error);
            return Err(io::Error::other(message));
        }
        Ok(n)
    }
}

fn zip_error(error: ZipError) -> ExtractError {
    ExtractError::parse(format!("damaged zip container: {error}"))
}

/// The entry count the end-of-central-directory record declares (zip64 aware), read without
/// building the index, so a directory of millions of entries is refused before allocation.
fn declared_entry_count(input: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let search_from = input.len().saturating_sub(22 + 65_535);
    let tail = &input[search_from..];
    let at = tail.windows(4).rposition(|w| w == EOCD)? + search_from;
    let entries = u16::from_le_bytes(input.get(at + 10..at + 12)?.try_into().ok()?);
    if entries != u16::MAX {
        return Some(u64::from(entries));
    }
    // Zip64: the locator sits just before the EOCD and points at the zip64 record.
    let locator = input.get(at.checked_sub(20)?..at)?;
    if &locator[..4] != b"PK\x06\x07" {
        return Some(u64::from(entries));
    }
    let record_at = usize::try_from(u64::from_le_bytes(locator[8..16].try_into().ok()?)).ok()?;
    let record = input.get(record_at..record_at.checked_add(56)?)?;
    if &record[..4] != b"PK\x06\x06" {
        return None;
    }
    Some(u64::from_le_bytes(record[32..40].try_into().ok()?))
}

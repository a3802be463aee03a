//! Ingestion library: turns downloaded bytes into indexable text.
//!
//! The module owns type detection ([`detect_format`], [`is_supported`]), text extraction for
//! every format the sync engine indexes ([`extract`]), the hard limits that keep hostile files
//! from hurting the server ([`Limits`]), chunking ([`chunk`]) and content hashing
//! ([`content_hash`]). Everything here is synchronous and CPU-bound: the engine calls
//! [`extract_blocking`], which moves the work onto tokio's blocking pool under a timeout.
//!
//! Limits are enforced while reading, never after: archives count inflated bytes as they
//! stream, PDF streams decompress against a budget, and the text sink stops the extractor
//! once it holds `max_text_chars`. Every extractor runs under `catch_unwind`, so a panic in a
//! third-party parser becomes the file's parse error. Extractors check the deadline
//! cooperatively; one step is not interruptible (lopdf parses a PDF's object table in one go),
//! which is why [`extract_blocking`] also has its own timeout.
//!
//! Oversized text is **truncated, not rejected**: the first `max_text_chars` characters are
//! kept and [`Extracted::truncated`] is set, because a partly indexed huge log or export is
//! more useful to a RAG profile than none. Oversized *input* (bytes, inflated archives,
//! decompression bombs) is rejected with [`ExtractErrorKind::TooLarge`].

mod archive;
mod chunk;
mod detect;
mod email;
mod html;
mod jira;
mod markdown;
mod office;
mod pdf;
mod sink;
mod text;

use std::time::{Duration, Instant};

use app::model::FileErrorType;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use chunk::{ChunkOptions, chunk};
pub use detect::{Format, detect_format, is_supported};

use sink::TextSink;

/// What the caller knows about a file before reading it.
#[derive(Debug, Clone, Copy)]
pub struct DocumentHint<'a> {
    /// The file name as the provider reports it (the extension is used for detection).
    pub name: &'a str,
    /// The MIME type the provider declared, if any. Parameters (`; charset=…`) are allowed.
    pub mime_type: Option<&'a str>,
}

/// Hard limits for one extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Larger inputs are rejected before any parsing.
    pub max_input_bytes: u64,
    /// Extracted text is cut here and marked truncated.
    pub max_text_chars: usize,
    /// Inflated bytes per compressed byte, for archive entries and PDF streams.
    pub max_archive_ratio: u64,
    /// Total inflated bytes one document may produce (archive entries, PDF streams).
    pub max_archive_bytes: u64,
    /// Entries in a zip-based document's central directory.
    pub max_archive_entries: usize,
    /// Wall-clock budget; extractors check it cooperatively.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 100 * 1024 * 1024,
            max_text_chars: 5_000_000,
            max_archive_ratio: 100,
            max_archive_bytes: 500 * 1024 * 1024,
            max_archive_entries: 10_000,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A file carried inside another one (an e-mail attachment), to be indexed as its own document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// The result of a successful extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub text: String,
    /// The detected MIME type (which may differ from the declared one).
    pub mime_type: String,
    pub title: Option<String>,
    /// Format-specific facts: e-mail headers (`message_id` de-duplicates mail across
    /// folders), `page_count`, `sheet_names`, `slide_count`, Jira `issue_key`…
    pub metadata: Map<String, Value>,
    pub attachments: Vec<Attachment>,
    /// The text was cut at [`Limits::max_text_chars`].
    pub truncated: bool,
}

/// Why extraction failed; the engine records it as the file's error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtractErrorKind {
    /// Not a format we index (images, archives, executables, unknown binaries).
    Unsupported,
    /// The file claims a format but is broken (corrupt PDF, truncated zip, invalid JSON).
    Parse,
    /// Input bytes or inflated content beyond the limits (zip and deflate bombs included).
    TooLarge,
    /// The extraction ran past [`Limits::timeout`].
    Timeout,
}

impl ExtractErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractErrorKind::Unsupported => "unsupported_type",
            ExtractErrorKind::Parse => "parse_error",
            ExtractErrorKind::TooLarge => "too_large",
            ExtractErrorKind::Timeout => "timeout",
        }
    }

    /// The per-file error type a job records. A timeout is a resource limit like size, so it is
    /// reported as `too_large` (the message says it timed out).
    pub fn file_error_type(self) -> FileErrorType {
        match self {
            ExtractErrorKind::Unsupported => FileErrorType::UnsupportedType,
            ExtractErrorKind::Parse => FileErrorType::ParseError,
            ExtractErrorKind::TooLarge | ExtractErrorKind::Timeout => FileErrorType::TooLarge,
        }
    }
}

impl std::fmt::Display for ExtractErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ExtractError {
    pub kind: ExtractErrorKind,
    pub message: String,
}

impl ExtractError {
    pub fn new(kind: ExtractErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ExtractErrorKind::Unsupported, message)
    }

    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(ExtractErrorKind::Parse, message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ExtractErrorKind::TooLarge, message)
    }

    pub fn timeout(limit: Duration) -> Self {
        Self::new(ExtractErrorKind::Timeout, format!("extraction took longer than {limit:?}"))
    }
}

/// Extracts text from `input`. Synchronous and CPU-bound: call it from a blocking thread
/// (or use [`extract_blocking`]).
pub fn extract(
    input: &[u8],
    hint: &DocumentHint<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    if input.len() as u64 > limits.max_input_bytes {
        return Err(ExtractError::too_large(format!(
            "{} bytes exceeds the {} byte input limit",
            input.len(),
            limits.max_input_bytes
        )));
    }
    let deadline = Instant::now() + limits.timeout;
    let format = detect_format(input, hint)?;
    let mut out = Output::new(limits, deadline);
    // The parsers are third-party code fed hostile bytes: a panic in one of them is this
    // file's parse error, not a crashed worker.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extract_format(format, input, hint, &mut out)
    }));
    match run {
        Ok(result) => result?,
        Err(_) => return Err(ExtractError::parse("the parser failed on this file")),
    }
    Ok(out.finish(format))
}

/// Runs [`extract`] on tokio's blocking pool and gives up after [`Limits::timeout`].
///
/// Extractors also check the deadline themselves, so an abandoned thread stops soon after.
pub async fn extract_blocking(
    input: std::sync::Arc<[u8]>,
    name: String,
    mime_type: Option<String>,
    limits: Limits,
) -> Result<Extracted, ExtractError> {
    let timeout = limits.timeout;
    let task = tokio::task::spawn_blocking(move || {
        let hint = DocumentHint { name: &name, mime_type: mime_type.as_deref() };
        extract(&input, &hint, &limits)
    });
    // A little grace so the cooperative deadline, which reports better, usually wins.
    match tokio::time::timeout(timeout + Duration::from_millis(250), task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join_error)) => {
            Err(ExtractError::parse(format!("extraction failed unexpectedly: {join_error}")))
        }
        Err(_) => Err(ExtractError::timeout(timeout)),
    }
}

/// SHA-256 of the bytes, lower-case hex.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What extractors write into: the bounded text plus the side facts.
pub(crate) struct Output<'l> {
    pub text: TextSink,
    pub title: Option<String>,
    pub metadata: Map<String, Value>,
    pub attachments: Vec<Attachment>,
    pub limits: &'l Limits,
    /// Overrides the format's MIME type (e.g. a text file whose content is HTML).
    pub mime_type: Option<String>,
}

impl<'l> Output<'l> {
    fn new(limits: &'l Limits, deadline: Instant) -> Self {
        Self {
            text: TextSink::new(limits.max_text_chars, deadline, limits.timeout),
            title: None,
            metadata: Map::new(),
            attachments: Vec::new(),
            limits,
            mime_type: None,
        }
    }

    /// Sets the title unless one is known already; blank titles are ignored.
    pub fn set_title(&mut self, title: &str) {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if self.title.is_none() && !title.is_empty() {
            self.title = Some(title);
        }
    }

    fn finish(self, format: Format) -> Extracted {
        let truncated = self.text.truncated();
        Extracted {
            text: self.text.into_string(),
            mime_type: self.mime_type.unwrap_or_else(|| format.mime_type().to_string()),
            title: self.title,
            metadata: self.metadata,
            attachments: self.attachments,
            truncated,
        }
    }
}

fn extract_format(
    format: Format,
    input: &[u8],
    hint: &DocumentHint<'_>,
    out: &mut Output<'_>,
) -> Result<(), ExtractError> {
    match format {
        Format::Pdf => pdf::extract(input, out),
        Format::Docx => office::extract_docx(input, out),
        Format::Pptx => office::extract_pptx(input, out),
        Format::Xlsx => office::extract_xlsx(input, out),
        Format::Odt => office::extract_odt(input, out),
        Format::Html => html::extract_html(&text::decode(input, hint.mime_type), out),
        Format::ConfluenceStorage => {
            html::extract_confluence(&text::decode(input, hint.mime_type), out)
        }
        Format::Markdown => markdown::extract(&text::decode(input, hint.mime_type), out),
        Format::Text => text::extract_plain(input, hint.mime_type, out),
        Format::Csv => text::extract_delimited(input, hint.mime_type, b',', out),
        Format::Tsv => text::extract_delimited(input, hint.mime_type, b'\t', out),
        Format::Json => text::extract_json(input, out),
        Format::Email => email::extract(input, out),
        Format::JiraIssue => jira::extract_issue(input, out),
    }
}
